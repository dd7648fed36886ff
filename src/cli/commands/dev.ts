import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineDevCommand(program: Command): void {
  program.command('dev').description('dev (not available yet)').allowUnknownOption().action(notAvailableYet('dev'));
}
