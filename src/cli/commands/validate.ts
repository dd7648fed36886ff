import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineValidateCommand(program: Command): void {
  program.command('validate').description('validate manifests (not available yet)').allowUnknownOption().action(notAvailableYet('validate'));
}
