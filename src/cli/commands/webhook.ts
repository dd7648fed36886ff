import type { Command } from 'commander';
import { notAvailableYet } from '../not-available.ts';

export function defineWebhookCommand(program: Command): void {
  program.command('webhook').description('webhook (not available yet)').allowUnknownOption().action(notAvailableYet('webhook'));
}
