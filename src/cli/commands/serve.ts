import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineServeCommand(program: Command): void {
  program.command('serve').description('serve (not available yet)').allowUnknownOption().action(notAvailableYet('serve'));
}
