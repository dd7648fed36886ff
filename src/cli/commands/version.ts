import type { Command } from 'commander';
import { readFileSync } from 'node:fs';

export function defineVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the version')
    .action(() => {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
      console.log(`mcp-authserver ${pkg.version}`);
    });
}
