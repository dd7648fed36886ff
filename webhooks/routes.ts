import { defaulterHandler } from './framework/defaulter-handler.ts';
import { validatorHandler } from './framework/validator-handler.ts';
import type { AdmissionHandler, Operation } from './framework/types.ts';
import type { InjectionLookup } from './lookup/injection-lookup.ts';
import { mcpAuthServerValidator } from './plugins/mcpauthserver/validate.ts';
import { mcpAuthServerDefaulter } from './plugins/mcpauthserver/default.ts';
import { mcpExternalAuthConfigValidator } from './plugins/mcpexternalauthconfig/validate.ts';
import { mcpExternalAuthConfigDefaulter } from './plugins/mcpexternalauthconfig/default.ts';
import { mcpServerValidator } from './plugins/mcpserver/validate.ts';
import { mcpServerDefaulter } from './plugins/mcpserver/default.ts';
import { podInjector } from './plugins/pod/inject.ts';

export interface Route {
  /** Plugin name, the `plugin` label of the metrics. */
  plugin: string;
  /** Operations the plugin acts on (the webhook configuration should select exactly these). */
  operations: ReadonlySet<Operation>;
  handler: AdmissionHandler;
}

export interface RouteOptions {
  lookup?: InjectionLookup;
  featureGates?: { MultiUpstreamIdp?: boolean };
  clusterDomain?: string;
}

/** The served paths (spec §4.5; must match `config/webhook` exactly — a test checks it). */
export const WEBHOOK_PATHS = [
  '/validate-mcpauthserver',
  '/validate-mcpexternalauthconfig',
  '/validate-mcpserver',
  '/mutate-mcpauthserver',
  '/mutate-mcpexternalauthconfig',
  '/mutate-mcpserver',
  '/mutate-pods',
] as const;

/**
 * Path → plugin table. Routing is on the path only: the apiserver appends `?timeout=10s`.
 *
 * @example
 * const routes = buildRoutes({ lookup });
 * await routes.get('/mutate-pods')!.handler(request);
 */
export function buildRoutes(options: RouteOptions): Map<string, Route> {
  const { lookup, featureGates, clusterDomain } = options;
  const v = <T extends { name: string; operations: ReadonlySet<Operation> }>(p: T, handler: AdmissionHandler): Route => ({
    plugin: p.name,
    operations: p.operations,
    handler,
  });
  const asValidator = mcpAuthServerValidator({ ...(featureGates ? { featureGates } : {}) });
  const ecValidator = mcpExternalAuthConfigValidator({ ...(lookup ? { lookup } : {}) });
  const srvValidator = mcpServerValidator({ ...(lookup ? { lookup } : {}) });
  const injector = podInjector({ lookup, ...(clusterDomain ? { clusterDomain } : {}) });
  const table: Record<(typeof WEBHOOK_PATHS)[number], Route> = {
    '/validate-mcpauthserver': v(asValidator, validatorHandler(asValidator)),
    '/validate-mcpexternalauthconfig': v(ecValidator, validatorHandler(ecValidator)),
    '/validate-mcpserver': v(srvValidator, validatorHandler(srvValidator)),
    '/mutate-mcpauthserver': v(mcpAuthServerDefaulter, defaulterHandler(mcpAuthServerDefaulter)),
    '/mutate-mcpexternalauthconfig': v(mcpExternalAuthConfigDefaulter, defaulterHandler(mcpExternalAuthConfigDefaulter)),
    '/mutate-mcpserver': v(mcpServerDefaulter, defaulterHandler(mcpServerDefaulter)),
    '/mutate-pods': v(injector, defaulterHandler(injector)),
  };
  return new Map(Object.entries(table));
}
