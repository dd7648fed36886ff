import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package.json above this file: src/cli/commands in a checkout, dist/src/cli/commands when built. */
function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return 'unknown';
    dir = parent;
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function defineVersionCommand(program: Command): void {
  program
    .command('version')
    .description('print the version')
    .action(() => {
      console.log(`mcp-authserver ${readPackageVersion()}`);
    });
}
