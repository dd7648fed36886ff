import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineControllerCommand(program: Command): void {
  program.command('controller').description('controller (not available yet)').allowUnknownOption().action(notAvailableYet('controller'));
}
