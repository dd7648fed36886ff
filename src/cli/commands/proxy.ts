import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineProxyCommand(program: Command): void {
  program.command('proxy').description('proxy (not available yet)').allowUnknownOption().action(notAvailableYet('proxy'));
}
