import type { KubeObject } from '../framework/types.ts';

/**
 * Read access to the cluster objects the webhooks look up (MCPServer → MCPExternalAuthConfig →
 * MCPAuthServer), served from a local cache: an informer in a cluster, a map in tests. Reads are
 * synchronous cache reads; `synced()` is false until every cache holds a full list.
 */
export interface InjectionLookup {
  getMCPServer(namespace: string, name: string): KubeObject | undefined;
  getExternalAuthConfig(namespace: string, name: string): KubeObject | undefined;
  /** Optional: used for cross-object warnings/denials (issuer, trust domain); absent = not checked. */
  getMCPAuthServer?(namespace: string, name: string): KubeObject | undefined;
  synced(): boolean;
  /** Stops watches, when the lookup owns any. */
  close?(): Promise<void>;
}
