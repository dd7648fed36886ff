// `mcp-authserver dev` (what `npm start` runs): the whole system on this machine, see
// src/dev/local-stack.ts. `--check` runs the headless flow against it and exits 0 only if every
// step passes.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';

interface DevFlags {
  stateDir: string;
  idpPort: number;
  authPort: number;
  internalPort: number;
  proxyPort: number;
  mcpPort: number;
  redis?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  check?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

export function defineDevCommand(program: Command): void {
  program
    .command('dev')
    .description('run the whole system locally: upstream IdP, auth server, proxy and a sample MCP server')
    .option('--state-dir <dir>', 'where the dev CA, certificates and keys are kept (reused on the next start)', '.dev-state')
    .option('--idp-port <port>', 'upstream OpenID provider port', port, 9090)
    .option('--auth-port <port>', 'auth server public port (plain HTTP on loopback)', port, 9000)
    .option('--internal-port <port>', 'auth server internal mTLS port', port, 9443)
    .option('--proxy-port <port>', 'proxy port (the URL MCP clients connect to)', port, 8000)
    .option('--mcp-port <port>', 'sample MCP server port', port, 8080)
    .option('--redis <url>', 'use Redis storage (redis://host:port) instead of memory')
    .option('--log-level <level>', 'auth server log level', 'warn')
    .option('--check', 'run the whole flow headless on free ports, print one line per step, exit 0 only if all pass')
    .action(async (flags: DevFlags) => {
      const { startLocalStack } = await import('../../dev/local-stack.ts');
      const ports = flags.check
        ? { idp: 0, auth: 0, internal: 0, proxy: 0, mcp: 0 }
        : { idp: flags.idpPort, auth: flags.authPort, internal: flags.internalPort, proxy: flags.proxyPort, mcp: flags.mcpPort };
      const stack = await startLocalStack({
        stateDir: flags.stateDir,
        ports,
        // --check prints its own lines; the expected denial at the end would add a warning line.
        logLevel: flags.check && flags.logLevel === 'warn' ? 'error' : flags.logLevel,
        ...(flags.redis ? { redisUrl: flags.redis } : {}),
      });

      if (flags.check) {
        const { runCheckFlow } = await import('../../dev/check-flow.ts');
        const steps = await runCheckFlow(stack, (s) => console.log(`${s.ok ? 'ok  ' : 'FAIL'} ${s.name.padEnd(30)} ${s.detail}`));
        await stack.stop();
        const passed = steps.length === 8 && steps.every((s) => s.ok);
        console.log(passed ? 'dev --check: all steps passed' : 'dev --check: FAILED');
        process.exit(passed ? 0 : 1);
      }

      console.log(`mcp-authserver local stack${stack.state.generated ? ' (generated a dev CA and keys in ' + stack.state.dir + ')' : ''}
  upstream IdP (oidc-provider)   ${stack.upstreamIssuer}   any username logs in
  auth server (issuer)           ${stack.issuer}
  auth server internal (mTLS)    ${stack.internalUrl}/internal/token-exchange
  sample MCP server              ${stack.mcpServerUrl}   (the proxy forwards to it with the upstream token)
  storage                        ${flags.redis ? 'Redis ' + flags.redis : 'memory'}

Connect an MCP client to:  ${stack.mcpUrl}
  MCP Inspector: npx @modelcontextprotocol/inspector, transport "Streamable HTTP", URL ${stack.mcpUrl},
  then "Open Auth Settings" → "Quick OAuth Flow"; log in with any name, then call the tool "whoami".
Check it headless:  npx mcp-authserver dev --check
Ctrl-C stops everything.`);
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        console.log('\nstopping...');
        const force = setTimeout(() => process.exit(1), 10_000);
        force.unref();
        stack.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
