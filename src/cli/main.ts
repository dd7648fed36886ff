// Entry point of the `mcp-authserver` binary: one subcommand per component.
// Each subcommand lives in ./commands/<name>.ts and imports its heavy dependencies lazily,
// so `mcp-authserver version` or `validate` start fast.
import { Command, CommanderError } from 'commander';
import { defineServeCommand } from './commands/serve.ts';
import { defineProxyCommand } from './commands/proxy.ts';
import { defineControllerCommand } from './commands/controller.ts';
import { defineWebhookCommand } from './commands/webhook.ts';
import { defineDevCommand } from './commands/dev.ts';
import { defineValidateCommand } from './commands/validate.ts';
import { defineVersionCommand } from './commands/version.ts';

export function buildProgram(): Command {
  const program = new Command('mcp-authserver')
    .description('OAuth 2.1 authorization server for MCP servers on Kubernetes, with mTLS token exchange')
    .showHelpAfterError()
    .exitOverride();
  for (const define of [
    defineServeCommand,
    defineProxyCommand,
    defineControllerCommand,
    defineWebhookCommand,
    defineDevCommand,
    defineValidateCommand,
    defineVersionCommand,
  ]) {
    define(program);
  }
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode;
  } else {
    // One clear line; never a stack trace for expected failures (bad config, port in use...).
    console.error(`mcp-authserver: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
  // A command that fails half-way through its start may leave a listener, a timer or a watch
  // open (an informer whose list was in flight when it was stopped starts its watch afterwards):
  // nothing may keep the process alive after its one error line. (stderr to a pipe or file is
  // written synchronously on Linux, so the line is out before the exit.)
  process.exit();
}
