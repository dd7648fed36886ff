import type { Command } from 'commander';

interface WebhookFlags {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  kubeconfig?: string;
  namespace?: string;
  clusterDomain: string;
  featureGates?: string;
  logLevel: string;
}

const KNOWN_GATES = ['MultiUpstreamIdp'] as const;

/**
 * `mcp-authserver webhook`: the admission webhooks (spec §4.5) as their own HTTPS server.
 * Cluster access for pod injection and cross-object warnings: `--kubeconfig`, else the in-cluster
 * service account when running in a pod, else none (CRD validation/defaulting still work; pod
 * injection answers 503 so no proxy is admitted without its mTLS material).
 */
export function defineWebhookCommand(program: Command): void {
  program
    .command('webhook')
    .description('serve the admission webhooks (validation, defaulting, pod injection) over HTTPS')
    .option('--listen <addr>', 'HTTPS listen address (HOST:PORT, :PORT)', ':9443')
    .option('--tls-cert <file>', 'serving certificate (PEM), re-read when it changes', '/etc/mcp-authserver/webhook-tls/tls.crt')
    .option('--tls-key <file>', 'serving private key (PEM), re-read when it changes', '/etc/mcp-authserver/webhook-tls/tls.key')
    .option('--kubeconfig <file>', 'kubeconfig for the MCPServer/MCPExternalAuthConfig/MCPAuthServer informers (default: in-cluster config when in a pod)')
    .option('--namespace <ns>', 'watch only this namespace (default: all)')
    .option('--cluster-domain <domain>', 'cluster DNS domain for the default internal auth-server URL', 'cluster.local')
    .option('--feature-gates <list>', `comma-separated Gate=true|false (known: ${KNOWN_GATES.join(', ')})`)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: WebhookFlags) => {
      await runWebhook(flags);
    });
}

async function runWebhook(flags: WebhookFlags): Promise<void> {
  const featureGates = parseFeatureGates(flags.featureGates);
  const [{ createLogger }, webhooks, { loadKubeConfig }] = await Promise.all([import('../../telemetry/index.ts'), import('../../../webhooks/index.ts'), import('../lib/kube-config.ts')]);
  const logger = createLogger({ name: 'webhook', level: flags.logLevel });
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  let lookup: Awaited<ReturnType<typeof webhooks.createInformerLookup>> | undefined;
  if (kubeConfig) {
    lookup = webhooks.createInformerLookup({ kubeConfig, logger, ...(flags.namespace ? { namespace: flags.namespace } : {}) });
    // Not awaited: the server answers /healthz at once and /readyz turns 200 when the caches sync.
    void lookup.start();
  } else {
    logger.warn('no --kubeconfig and not in a cluster: pod injection answers 503; CRD validation and defaulting work');
  }
  const server = await webhooks.startWebhookServer({
    listen: flags.listen,
    tlsCertFile: flags.tlsCert,
    tlsKeyFile: flags.tlsKey,
    clusterDomain: flags.clusterDomain,
    featureGates,
    logger,
    ...(lookup ? { lookup } : {}),
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    void Promise.all([server.close(), lookup?.close()]).then(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** `MultiUpstreamIdp=true,Other=false` → `{MultiUpstreamIdp: true}`; unknown gates and values are errors. */
export function parseFeatureGates(text: string | undefined): { MultiUpstreamIdp?: boolean } {
  const gates: Record<string, boolean> = {};
  if (!text) return gates;
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, value] = part.split('=');
    if (!name || !(KNOWN_GATES as readonly string[]).includes(name)) {
      throw new Error(`--feature-gates: unknown gate "${name ?? ''}" (known: ${KNOWN_GATES.join(', ')})`);
    }
    if (value !== 'true' && value !== 'false') throw new Error(`--feature-gates: ${name} must be =true or =false`);
    gates[name] = value === 'true';
  }
  return gates;
}
