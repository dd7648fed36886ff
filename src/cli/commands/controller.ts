import type { Command } from 'commander';

interface ControllerFlags {
  kubeconfig?: string;
  namespace?: string;
  webhooks?: boolean;
  webhookListen: string;
  tlsCert: string;
  tlsKey: string;
  healthListen: string;
  clusterResourceNamespace: string;
  clusterDomain: string;
  leaderElect: boolean;
  leaseNamespace?: string;
  featureGates?: string;
  logLevel: string;
}

/**
 * `mcp-authserver controller`: the reconcilers (spec §4.1–§4.3), optionally with the admission
 * webhooks in the same process (`--webhooks`), a plain-HTTP health listener and Lease-based
 * leader election. Images of the Deployments it creates come from `TOOLHIVE_AUTHSERVER_IMAGE`
 * and `TOOLHIVE_PROXY_IMAGE`.
 */
export function defineControllerCommand(program: Command): void {
  program
    .command('controller')
    .description('run the reconcilers for MCPAuthServer, MCPExternalAuthConfig and MCPServer (and optionally the webhooks)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: in-cluster service account, else $KUBECONFIG)')
    .option('--namespace <ns>', 'reconcile only this namespace (default: all namespaces)')
    .option('--webhooks', 'also serve the admission webhooks in this process')
    .option('--webhook-listen <addr>', 'webhook HTTPS listen address', ':9443')
    .option('--tls-cert <file>', 'webhook serving certificate (PEM)', '/etc/mcp-authserver/webhook-tls/tls.crt')
    .option('--tls-key <file>', 'webhook serving key (PEM)', '/etc/mcp-authserver/webhook-tls/tls.key')
    .option('--health-listen <addr>', 'plain HTTP listener for /healthz and /readyz', ':8081')
    .option('--cluster-resource-namespace <ns>', "cert-manager's cluster-resource namespace (auto-CA Certificates)", 'cert-manager')
    .option('--cluster-domain <domain>', 'cluster DNS domain', 'cluster.local')
    .option('--leader-elect', 'elect a leader through a coordination.k8s.io Lease (default)', true)
    .option('--no-leader-elect', 'act without leader election (one replica only)')
    .option('--lease-namespace <ns>', 'namespace of the leader-election Lease (default: $POD_NAMESPACE or mcp-authserver-system)')
    .option('--feature-gates <list>', 'webhook feature gates, e.g. MultiUpstreamIdp=true')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (flags: ControllerFlags) => {
      await runController(flags);
    });
}

/** `:8081` → {port: 8081}; `127.0.0.1:8081`; `[::1]:8081`. */
export function parseListen(flag: string, value: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${flag}: "${value}" must be HOST:PORT, :PORT or [IPv6]:PORT`);
  const host = m[1] ?? m[2];
  return { ...(host ? { host } : {}), port };
}

async function runController(flags: ControllerFlags): Promise<void> {
  const health = parseListen('--health-listen', flags.healthListen);
  const [{ createLogger }, { loadKubeConfig }, controllerMod, { createServer }, { hostname }, { randomUUID }] = await Promise.all([
    import('../../telemetry/index.ts'),
    import('../lib/kube-config.ts'),
    import('../../controller/index.ts'),
    import('node:http'),
    import('node:os'),
    import('node:crypto'),
  ]);
  const logger = createLogger({ name: 'controller', level: flags.logLevel });

  const kc = loadKubeConfig(flags.kubeconfig, { useKubeconfigEnv: true });
  if (!kc) throw new Error('--kubeconfig (in-cluster): cannot load: no --kubeconfig, no $KUBECONFIG and not running in a cluster');

  let webhookServer: { ready(): boolean; close(): Promise<void> } | undefined;
  let lookup: { start(): Promise<void>; close(): Promise<void> } | undefined;
  if (flags.webhooks) {
    const webhooks = await import('../../../webhooks/index.ts').catch(() => undefined);
    if (!webhooks?.startWebhookServer) throw new Error('--webhooks: webhooks not available in this build');
    const { parseFeatureGates } = await import('./webhook.ts');
    const gates = parseFeatureGates(flags.featureGates);
    const informerLookup = webhooks.createInformerLookup({ kubeConfig: kc, logger, ...(flags.namespace ? { namespace: flags.namespace } : {}) });
    lookup = informerLookup;
    void informerLookup.start();
    webhookServer = await webhooks.startWebhookServer({
      listen: flags.webhookListen,
      tlsCertFile: flags.tlsCert,
      tlsKeyFile: flags.tlsKey,
      clusterDomain: flags.clusterDomain,
      featureGates: gates,
      logger,
      lookup: informerLookup,
    });
  }

  const controller = new controllerMod.Controller({
    kubeConfig: kc,
    ...(flags.namespace ? { namespace: flags.namespace } : {}),
    settings: {
      clusterResourceNamespace: flags.clusterResourceNamespace,
      clusterDomain: flags.clusterDomain,
      ...(process.env.TOOLHIVE_AUTHSERVER_IMAGE ? { authServerImage: process.env.TOOLHIVE_AUTHSERVER_IMAGE } : {}),
      ...(process.env.TOOLHIVE_PROXY_IMAGE ? { proxyImage: process.env.TOOLHIVE_PROXY_IMAGE } : {}),
    },
    leaderElection: {
      enabled: flags.leaderElect,
      namespace: flags.leaseNamespace ?? process.env.POD_NAMESPACE ?? 'mcp-authserver-system',
      identity: `${hostname()}_${randomUUID().slice(0, 8)}`,
    },
    logger,
    onLostLeadership: () => {
      logger.error({}, 'lost the leader lease; exiting so a fresh process campaigns again');
      process.exit(1);
    },
  });

  const healthServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ok = controller.ready() && (webhookServer ? webhookServer.ready() : true);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    healthServer.once('error', (err) => reject(new Error(`--health-listen ${flags.healthListen}: ${err.message}`)));
    healthServer.listen(health.port, health.host, resolve);
  });

  try {
    await controller.start();
  } catch (err) {
    healthServer.close();
    await webhookServer?.close();
    await lookup?.close();
    throw err;
  }
  logger.info({ leaderElect: flags.leaderElect, namespace: flags.namespace ?? '(all)', webhooks: Boolean(flags.webhooks) }, 'controller started');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    void Promise.all([controller.stop(), webhookServer?.close(), lookup?.close(), new Promise((r) => healthServer.close(r))]).then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
