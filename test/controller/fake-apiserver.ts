/**
 * A stand-in for kube-apiserver, on loopback, for the controller tests.
 *
 * WHY A FAKE: there is no Kubernetes API server on these machines (no kind, no Docker, no etcd),
 * so the real `@kubernetes/client-node` code of the controller (KubernetesObjectApi,
 * CustomObjectsApi, informers' list+watch) runs against this HTTP server instead. It speaks
 * only the API paths the reconciler uses, with the semantics the reconciler relies on:
 *
 * - discovery (`/api/v1`, `/apis/{group}/{version}`), 404 for groups that are "not installed"
 *   (cert-manager can be switched off to test the "cert-manager is not installed" condition);
 * - list with `labelSelector` and a list `resourceVersion`; watch streams (`?watch=true`) that
 *   replay events after the given resourceVersion and then stream new ones;
 * - GET, POST (409 AlreadyExists), PUT with optimistic concurrency (409 on a stale
 *   resourceVersion; used for Leases), DELETE (finalizers → deletionTimestamp; owner-reference
 *   cascade like the garbage collector);
 * - PATCH: server-side apply (`application/apply-patch+yaml`, fieldManager required, a 409
 *   conflict when another manager owns a top-level field and `force` is not set), JSON merge
 *   patch with a `metadata.resourceVersion` precondition, and the `/status` subresource;
 * - `generation` bumps on spec changes only; every write bumps the global resourceVersion.
 *
 * The SSA merge is simplified (top-level fields are replaced, labels/annotations merged), which is
 * enough for a controller that is the only manager of its objects. Faults (500/409/...) can be
 * injected for the next N matching requests; every request is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

export interface StoredObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
    managedFields?: { manager: string; operation: string; fields: string[] }[];
    [k: string]: unknown;
  };
  [field: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
  status: number;
}

interface Fault {
  method?: string;
  pathIncludes?: string;
  status: number;
  remaining: number;
}

interface WatchEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceKey: string;
  object: StoredObject;
}

export const BUILTIN_TYPES: ResourceType[] = [
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false },
  { group: 'toolhive.stacklok.dev', version: 'v1alpha1', kind: 'MCPAuthServer', plural: 'mcpauthservers', namespaced: true },
  { group: 'toolhive.stacklok.dev', version: 'v1alpha1', kind: 'MCPExternalAuthConfig', plural: 'mcpexternalauthconfigs', namespaced: true },
  { group: 'toolhive.stacklok.dev', version: 'v1alpha1', kind: 'MCPServer', plural: 'mcpservers', namespaced: true },
];

export const CERT_MANAGER_TYPES: ResourceType[] = [
  { group: 'cert-manager.io', version: 'v1', kind: 'Certificate', plural: 'certificates', namespaced: true },
  { group: 'cert-manager.io', version: 'v1', kind: 'Issuer', plural: 'issuers', namespaced: true },
  { group: 'cert-manager.io', version: 'v1', kind: 'ClusterIssuer', plural: 'clusterissuers', namespaced: false },
];

function gvOf(t: ResourceType): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** Label selector subset used by client-go users: `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma = AND. */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | null): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (t === '') return true;
    if (t.startsWith('!')) return !(t.slice(1) in l);
    const ne = t.split('!=');
    if (ne.length === 2) return l[ne[0]!] !== ne[1];
    const eq = t.split(/==?/);
    if (eq.length === 2) return l[eq[0]!] === eq[1];
    return t in l;
  });
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function specOf(obj: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(obj).filter(([k]) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)));
  return JSON.stringify(rest);
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  readonly #types: ResourceType[];
  readonly #objects = new Map<string, StoredObject>();
  readonly #events: WatchEvent[] = [];
  readonly #watchers = new Set<{ resourceKey: string; namespace?: string; selector: string | null; res: ServerResponse }>();
  readonly #faults: Fault[] = [];
  readonly #holds = new Set<{ pathSuffix: string; released: Promise<void> }>();
  readonly #disabledGroups = new Set<string>();
  #rv = 1;
  #server: Server | undefined;
  #now: () => Date;
  readonly #tls: { certPem: string; keyPem: string; caPem: string } | undefined;

  /** With `tls`, serves HTTPS like kube-apiserver and the kubeconfig pins `caPem`. */
  constructor(options: { types?: ResourceType[]; now?: () => Date; tls?: { certPem: string; keyPem: string; caPem: string } } = {}) {
    this.#types = options.types ?? [...BUILTIN_TYPES, ...CERT_MANAGER_TYPES];
    this.#now = options.now ?? (() => new Date());
    this.#tls = options.tls;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      void this.#handle(req, res);
    };
    this.#server = this.#tls ? createHttpsServer({ cert: this.#tls.certPem, key: this.#tls.keyPem, minVersion: 'TLSv1.2' }, handler) : createServer(handler);
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
  }

  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
  }

  /** A KubeConfig pointing at this server (the server's CA pinned when TLS is on; token auth accepted as-is). */
  kubeConfig(namespace = 'default'): KubeConfig {
    const kc = new KubeConfig();
    const cluster = this.#tls
      ? { name: 'fake', server: this.url, caData: Buffer.from(this.#tls.caPem).toString('base64'), skipTLSVerify: false }
      : { name: 'fake', server: this.url, skipTLSVerify: true };
    kc.loadFromOptions({
      clusters: [cluster],
      users: [{ name: 'controller', token: 'fake-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'controller', namespace }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Makes an API group unavailable (discovery 404, all its paths 404), e.g. `cert-manager.io`. */
  disableGroup(group: string): void {
    this.#disabledGroups.add(group);
  }

  enableGroup(group: string): void {
    this.#disabledGroups.delete(group);
  }

  /** The next `count` requests matching method/path fail with `status`. */
  failNext(fault: { method?: string; pathIncludes?: string; status: number; count?: number }): void {
    this.#faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  /** Lists (not watches) whose path ends with `pathSuffix` wait until the returned function is called. */
  holdLists(pathSuffix: string): () => void {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold = { pathSuffix, released };
    this.#holds.add(hold);
    return () => {
      this.#holds.delete(hold);
      release();
    };
  }

  /** Watch connections still open (a closed one can linger in the set until the next event). */
  openWatches(): number {
    return [...this.#watchers].filter((w) => !w.res.destroyed).length;
  }

    /** Drops every open watch connection (the informers must reconnect). */
  dropWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  // ---- direct access for tests (stands in for other actors: users, cert-manager, kubelet) ----

  typeOf(apiVersion: string, kind: string): ResourceType {
    const t = this.#types.find((x) => gvOf(x) === apiVersion && x.kind === kind);
    if (!t) throw new Error(`fake apiserver: unknown type ${apiVersion} ${kind}`);
    return t;
  }

  getObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const t = this.typeOf(apiVersion, kind);
    const o = this.#objects.get(this.#key(t, t.namespaced ? namespace : undefined, name));
    return o ? clone(o) : undefined;
  }

  listObjects(apiVersion: string, kind: string, namespace?: string): StoredObject[] {
    const t = this.typeOf(apiVersion, kind);
    const prefix = `${gvOf(t)}/${t.plural}/`;
    return [...this.#objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (namespace === undefined || o.metadata.namespace === namespace))
      .map(([, o]) => clone(o));
  }

  /** Creates or replaces an object as another actor would (e.g. a user's `kubectl apply`). */
  putObject(obj: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; [k: string]: unknown }; [k: string]: unknown }): StoredObject {
    const t = this.typeOf(obj.apiVersion, obj.kind);
    const ns = t.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    const key = this.#key(t, ns, obj.metadata.name);
    const existing = this.#objects.get(key);
    if (existing) {
      const merged = { ...clone(obj), metadata: { ...existing.metadata, ...clone(obj.metadata) } } as StoredObject;
      if (!('status' in obj) && existing.status !== undefined) merged.status = existing.status;
      return this.#update(t, key, existing, merged);
    }
    return this.#create(t, ns, clone(obj) as unknown as Record<string, unknown>, 'test');
  }

  /** Sets `status` as the owning component would (cert-manager, the Deployment controller...). */
  setStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: unknown): StoredObject {
    const t = this.typeOf(apiVersion, kind);
    const key = this.#key(t, t.namespaced ? namespace : undefined, name);
    const existing = this.#objects.get(key);
    if (!existing) throw new Error(`fake apiserver: ${kind} ${namespace}/${name} does not exist`);
    return this.#update(t, key, existing, { ...clone(existing), status: clone(status) }, { statusOnly: true });
  }

  /** Deletes as a user would (finalizers respected). */
  deleteObject(apiVersion: string, kind: string, namespace: string | undefined, name: string): void {
    const t = this.typeOf(apiVersion, kind);
    const key = this.#key(t, t.namespaced ? namespace : undefined, name);
    const existing = this.#objects.get(key);
    if (existing) this.#delete(t, key, existing);
  }

  // ---- internals ----

  #key(t: ResourceType, namespace: string | undefined, name: string): string {
    return `${gvOf(t)}/${t.plural}/${namespace ?? ''}/${name}`;
  }

  #nextRv(): string {
    this.#rv += 1;
    return String(this.#rv);
  }

  #emit(t: ResourceType, type: WatchEvent['type'], object: StoredObject): void {
    const resourceKey = `${gvOf(t)}/${t.plural}`;
    const ev: WatchEvent = { rv: Number(object.metadata.resourceVersion), type, resourceKey, object: clone(object) };
    this.#events.push(ev);
    for (const w of this.#watchers) this.#send(w, ev);
  }

  #send(w: { resourceKey: string; namespace?: string; selector: string | null; res: ServerResponse }, ev: WatchEvent): void {
    if (ev.resourceKey !== w.resourceKey) return;
    if (w.namespace !== undefined && ev.object.metadata.namespace !== w.namespace) return;
    if (!matchesSelector(ev.object.metadata.labels, w.selector)) return;
    w.res.write(`${JSON.stringify({ type: ev.type, object: ev.object })}\n`);
  }

  #create(t: ResourceType, namespace: string | undefined, body: Record<string, unknown>, manager: string): StoredObject {
    const md = (isObject(body.metadata) ? body.metadata : {}) as StoredObject['metadata'];
    const obj = {
      ...body,
      apiVersion: gvOf(t),
      kind: t.kind,
      metadata: {
        ...md,
        ...(namespace !== undefined ? { namespace } : {}),
        uid: randomUUID(),
        resourceVersion: this.#nextRv(),
        generation: 1,
        creationTimestamp: this.#now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        managedFields: [{ manager, operation: 'Apply', fields: Object.keys(body).filter((k) => !['metadata', 'apiVersion', 'kind', 'status'].includes(k)) }],
      },
    } as StoredObject;
    delete obj.metadata.deletionTimestamp;
    this.#objects.set(this.#key(t, namespace, md.name), obj);
    this.#emit(t, 'ADDED', obj);
    return clone(obj);
  }

  #update(t: ResourceType, key: string, existing: StoredObject, next: StoredObject, options: { statusOnly?: boolean } = {}): StoredObject {
    const obj = clone(next);
    obj.apiVersion = existing.apiVersion;
    obj.kind = existing.kind;
    obj.metadata.uid = existing.metadata.uid;
    obj.metadata.creationTimestamp = existing.metadata.creationTimestamp;
    obj.metadata.name = existing.metadata.name;
    if (existing.metadata.namespace !== undefined) obj.metadata.namespace = existing.metadata.namespace;
    if (existing.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = existing.metadata.deletionTimestamp;
    obj.metadata.generation = existing.metadata.generation;
    if (!options.statusOnly && specOf(obj) !== specOf(existing)) obj.metadata.generation += 1;
    if (options.statusOnly) {
      const status = obj.status;
      Object.assign(obj, clone(existing), { status });
    }
    // A write that changes nothing is a no-op, as in kube-apiserver: no new resourceVersion, no event.
    if (sameContent(obj, existing)) return clone(existing);
    obj.metadata.resourceVersion = this.#nextRv();
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
      this.#objects.delete(key);
      this.#emit(t, 'DELETED', obj);
      this.#cascade(obj.metadata.uid);
      return clone(obj);
    }
    this.#objects.set(key, obj);
    this.#emit(t, 'MODIFIED', obj);
    return clone(obj);
  }

  #delete(t: ResourceType, key: string, existing: StoredObject): StoredObject {
    if ((existing.metadata.finalizers ?? []).length > 0) {
      if (existing.metadata.deletionTimestamp) return clone(existing);
      const obj = clone(existing);
      obj.metadata.deletionTimestamp = this.#now().toISOString().replace(/\.\d{3}Z$/, 'Z');
      obj.metadata.resourceVersion = this.#nextRv();
      this.#objects.set(key, obj);
      this.#emit(t, 'MODIFIED', obj);
      return clone(obj);
    }
    this.#objects.delete(key);
    const obj = clone(existing);
    obj.metadata.resourceVersion = this.#nextRv();
    this.#emit(t, 'DELETED', obj);
    this.#cascade(obj.metadata.uid);
    return obj;
  }

  /** What the garbage collector does: dependents of a deleted owner go too. */
  #cascade(uid: string): void {
    for (const [key, o] of [...this.#objects.entries()]) {
      if ((o.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) {
        const [group, version, plural] = splitKey(key);
        const t = this.#types.find((x) => x.plural === plural && gvOf(x) === (group === '' ? version : `${group}/${version}`));
        if (t && this.#objects.has(key)) this.#delete(t, key, o);
      }
    }
  }

  #discovery(pathname: string): unknown | null {
    const m = /^\/api\/(v1)$/.exec(pathname) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(pathname);
    if (!m) return null;
    const gv = m[1]!;
    const types = this.#types.filter((t) => gvOf(t) === gv && !this.#disabledGroups.has(t.group));
    if (types.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: gv,
      resources: types.flatMap((t) => [
        { name: t.plural, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] },
        { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] },
      ]),
    };
  }

  #route(pathname: string): { t: ResourceType; namespace?: string; name?: string; subresource?: string } | null {
    const parts = pathname.split('/').filter(Boolean);
    let gv: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 2) {
      gv = parts[1]!;
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 3) {
      gv = `${parts[1]}/${parts[2]}`;
      rest = parts.slice(3);
    } else return null;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = decodeURIComponent(rest[1]!);
      rest = rest.slice(2);
    }
    const plural = rest[0];
    const t = this.#types.find((x) => gvOf(x) === gv && x.plural === plural);
    if (!t || this.#disabledGroups.has(t.group)) return null;
    return { t, namespace, name: rest[1] ? decodeURIComponent(rest[1]) : undefined, subresource: rest[2] };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body,
      status: 0,
    };
    this.requests.push(record);
    const reply = (status: number, payload: unknown) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, reason: string, message: string) =>
      reply(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code: status });

    if (record.method === 'GET' && url.searchParams.get('watch') !== 'true') {
      for (const hold of this.#holds) if (url.pathname.endsWith(hold.pathSuffix)) await hold.released;
    }
    const fault = this.#faults.find(
      (f) => f.remaining > 0 && (!f.method || f.method === record.method) && (!f.pathIncludes || url.pathname.includes(f.pathIncludes)),
    );
    if (fault) {
      fault.remaining -= 1;
      return fail(fault.status, fault.status === 409 ? 'Conflict' : 'InternalError', `injected fault ${fault.status}`);
    }

    const discovery = this.#discovery(url.pathname);
    if (discovery !== null) {
      return discovery === undefined ? fail(404, 'NotFound', 'the server could not find the requested resource') : reply(200, discovery);
    }
    const route = this.#route(url.pathname);
    if (!route) return fail(404, 'NotFound', 'the server could not find the requested resource');
    const { t, name, subresource } = route;
    const namespace = t.namespaced ? route.namespace : undefined;

    if (record.method === 'GET' && !name) {
      const selector = url.searchParams.get('labelSelector');
      if (url.searchParams.get('watch') === 'true') {
        const since = Number(url.searchParams.get('resourceVersion') ?? '0');
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
        record.status = 200;
        const w = { resourceKey: `${gvOf(t)}/${t.plural}`, namespace, selector, res };
        for (const ev of this.#events) if (ev.rv > since) this.#send(w, ev);
        this.#watchers.add(w);
        req.on('close', () => this.#watchers.delete(w));
        return;
      }
      const items = this.listObjects(gvOf(t), t.kind, namespace).filter((o) => matchesSelector(o.metadata.labels, selector));
      return reply(200, { kind: `${t.kind}List`, apiVersion: gvOf(t), metadata: { resourceVersion: String(this.#rv) }, items });
    }
    if (record.method === 'POST' && !name) {
      const b = body as StoredObject;
      if (!isObject(b) || !isObject(b.metadata) || typeof b.metadata.name !== 'string') return fail(400, 'BadRequest', 'metadata.name is required');
      const ns = t.namespaced ? (route.namespace ?? b.metadata.namespace) : undefined;
      if (this.#objects.has(this.#key(t, ns, b.metadata.name))) return fail(409, 'AlreadyExists', `${t.plural} "${b.metadata.name}" already exists`);
      return reply(201, this.#create(t, ns, b as unknown as Record<string, unknown>, url.searchParams.get('fieldManager') ?? 'unknown'));
    }
    if (!name) return fail(405, 'MethodNotAllowed', 'method not allowed');
    const key = this.#key(t, namespace, name);
    const existing = this.#objects.get(key);

    if (record.method === 'GET') {
      return existing ? reply(200, existing) : fail(404, 'NotFound', `${t.plural} "${name}" not found`);
    }
    if (record.method === 'DELETE') {
      if (!existing) return fail(404, 'NotFound', `${t.plural} "${name}" not found`);
      return reply(200, this.#delete(t, key, existing));
    }
    if (record.method === 'PUT') {
      if (!existing) return fail(404, 'NotFound', `${t.plural} "${name}" not found`);
      const b = body as StoredObject;
      if (b.metadata?.resourceVersion !== existing.metadata.resourceVersion) {
        return fail(409, 'Conflict', `Operation cannot be fulfilled on ${t.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
      }
      return reply(200, this.#update(t, key, existing, { ...b, metadata: { ...existing.metadata, ...b.metadata } } as StoredObject, { statusOnly: subresource === 'status' }));
    }
    if (record.method === 'PATCH') {
      const ct = (req.headers['content-type'] ?? '').split(';')[0];
      if (ct === 'application/apply-patch+yaml') {
        const manager = url.searchParams.get('fieldManager');
        if (!manager) return fail(400, 'BadRequest', 'PATCH, application/apply-patch+yaml: fieldManager is required');
        const force = url.searchParams.get('force') === 'true';
        const b = body as Record<string, unknown>;
        if (!isObject(b)) return fail(400, 'BadRequest', 'apply body must be an object');
        if (subresource === 'status') {
          if (!existing) return fail(404, 'NotFound', `${t.plural} "${name}" not found`);
          return reply(200, this.#update(t, key, existing, { ...existing, status: b.status } as StoredObject, { statusOnly: true }));
        }
        if (!existing) return reply(201, this.#create(t, namespace, b, manager));
        const fields = Object.keys(b).filter((k) => !['metadata', 'apiVersion', 'kind', 'status'].includes(k));
        const others = (existing.metadata.managedFields ?? []).filter((m) => m.manager !== manager);
        const contested = fields.filter((f) => others.some((m) => m.fields.includes(f)) && JSON.stringify(existing[f]) !== JSON.stringify(b[f]));
        if (contested.length > 0 && !force) {
          return fail(409, 'Conflict', `Apply failed with ${contested.length} conflict(s): conflict with "${others[0]!.manager}": ${contested.map((f) => `.${f}`).join(', ')}`);
        }
        const bm = (b.metadata ?? {}) as StoredObject['metadata'];
        const next = { ...existing, ...b, status: existing.status } as StoredObject;
        next.metadata = {
          ...existing.metadata,
          labels: { ...(existing.metadata.labels ?? {}), ...(bm.labels ?? {}) },
          annotations: { ...(existing.metadata.annotations ?? {}), ...(bm.annotations ?? {}) },
          ...(bm.ownerReferences ? { ownerReferences: bm.ownerReferences } : {}),
          ...(bm.finalizers ? { finalizers: bm.finalizers } : {}),
          managedFields: [
            ...others.map((m) => (force ? { ...m, fields: m.fields.filter((f) => !fields.includes(f)) } : m)),
            { manager, operation: 'Apply', fields },
          ],
        };
        if (Object.keys(next.metadata.annotations!).length === 0) delete next.metadata.annotations;
        return reply(200, this.#update(t, key, existing, next));
      }
      if (ct === 'application/merge-patch+json') {
        if (!existing) return fail(404, 'NotFound', `${t.plural} "${name}" not found`);
        const b = body as StoredObject;
        const rv = b?.metadata?.resourceVersion;
        if (rv !== undefined && rv !== existing.metadata.resourceVersion) {
          return fail(409, 'Conflict', `Operation cannot be fulfilled on ${t.plural} "${name}": the object has been modified`);
        }
        const merged = mergePatch(existing, b) as StoredObject;
        return reply(200, this.#update(t, key, existing, merged, { statusOnly: subresource === 'status' }));
      }
      return fail(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${ct}`);
    }
    return fail(405, 'MethodNotAllowed', 'method not allowed');
  }
}

function sameContent(a: StoredObject, b: StoredObject): boolean {
  const strip = (o: StoredObject) => {
    const c = clone(o);
    delete (c.metadata as Record<string, unknown>).resourceVersion;
    delete (c.metadata as Record<string, unknown>).managedFields;
    return JSON.stringify(sortDeep(c));
  };
  return strip(a) === strip(b);
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => [k, sortDeep(v[k])]));
  return v;
}

function splitKey(key: string): [string, string, string] {
  const parts = key.split('/');
  // core: v1/plural/ns/name ; groups: group/version/plural/ns/name
  if (parts.length === 4) return ['', parts[0]!, parts[1]!];
  return [parts[0]!, parts[1]!, parts[2]!];
}
