import type { AdmissionRequest, KubeObject } from '../../framework/types.ts';
import type { InjectionLookup } from '../../lookup/injection-lookup.ts';
import { crossValidate, formatFieldError } from './api.ts';

export function field(obj: unknown, ...path: string[]): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function str(obj: unknown, ...path: string[]): string | undefined {
  const value = field(obj, ...path);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The object with its namespace set from the request (namespaced create may omit it). */
export function withNamespace(obj: KubeObject, req: AdmissionRequest): KubeObject & { metadata: { namespace: string } } {
  const namespace = obj.metadata?.namespace || req.namespace || 'default';
  return { ...obj, metadata: { ...obj.metadata, namespace } };
}

/**
 * The MCPAuthServer an authServer config points at, from the cache: `authServerRef`, else the
 * `{name}-internal.{ns}` host of `url` (the RFC style). Undefined when it cannot be told.
 */
export function resolveAuthServerKey(config: KubeObject): { namespace: string; name: string } | undefined {
  const ns = config.metadata?.namespace ?? 'default';
  const refName = str(config, 'spec', 'authServer', 'authServerRef', 'name');
  if (refName) return { namespace: str(config, 'spec', 'authServer', 'authServerRef', 'namespace') ?? ns, name: refName };
  const url = str(config, 'spec', 'authServer', 'url');
  if (!url) return undefined;
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const [first, hostNs] = host.split('.');
  if (!first?.endsWith('-internal')) return undefined;
  return { namespace: hostNs ?? ns, name: first.slice(0, -'-internal'.length) };
}

/**
 * Cross-object findings of the API's `crossValidate()` for `subject` (index 0) against the
 * related objects from the cache, as warning lines (`path: message (rule)`): at admission they
 * never deny (apply order is free; the controller reports them as conditions).
 */
export function crossObjectWarnings(subject: KubeObject, related: Array<KubeObject | undefined>): string[] {
  const set = [subject, ...related.filter((o): o is KubeObject => o !== undefined)];
  return crossValidate(set)
    .filter((e) => e.index === 0)
    .map((e) => `${formatFieldError(e)}; the controller reports this as a condition`);
}

export type { InjectionLookup };
