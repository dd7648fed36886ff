/**
 * config/samples: one file per kind with the examples of spec §3 and the proposal's manifests.
 * Every sample passes validate() (as written and after applyDefaults), and the samples fit
 * together the way the controller will check at run time (spec §4.1 step 7, §4.2, §3.3): each
 * MCPServer resolves through its MCPExternalAuthConfig to an MCPAuthServer of the samples whose
 * issuer, trust domain, upstream IdP and allowed subjects match.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { applyDefaults, normalizeResource, validate } from '../../src/api/v1alpha1/index.ts';
import { all, CONFIG_DIR, KUBECTL, parseManifests, render, type K8sObject } from './lib/kustomize.ts';

const SAMPLES_DIR = join(CONFIG_DIR, 'samples');

type AuthServer = K8sObject & {
  spec: {
    issuer: string;
    replicas?: number;
    upstreamIdps: { name: string }[];
    tls?: {
      serverCert?: { issuerRef?: unknown };
      clientAuth?: {
        allowedSubjects?: {
          trustDomain?: string;
          allowedNamespaces?: string[];
          allowedNames?: string[];
          allowedServers?: { namespace: string; name: string }[];
        };
      };
    };
  };
};
type ExternalAuthConfig = K8sObject & {
  spec: {
    type: string;
    authServer?: {
      authServerRef?: { name: string; namespace?: string };
      url?: string;
      upstreamIdp?: string;
      clientCert?: { trustDomain?: string; issuerRef?: unknown };
    };
  };
};
type McpServer = K8sObject & {
  spec: {
    oidcConfig?: { resourceUrl?: string; inline?: { issuer?: string; audience?: string } };
    externalAuthConfigRef?: { name: string };
  };
};

function ours(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => o.apiVersion === 'toolhive.stacklok.dev/v1alpha1');
}

/** The MCPAuthServer an MCPExternalAuthConfig resolves to (authServerRef, or the internal Service host of url). */
function resolveAuthServer(config: ExternalAuthConfig, servers: AuthServer[]): AuthServer | undefined {
  const ref = config.spec.authServer?.authServerRef;
  if (ref) {
    const ns = ref.namespace ?? config.metadata.namespace;
    return servers.find((s) => s.metadata.name === ref.name && s.metadata.namespace === ns);
  }
  const host = new URL(config.spec.authServer?.url ?? 'https://invalid').hostname;
  return servers.find((s) => host === `${s.metadata.name}-internal.${s.metadata.namespace}.svc.cluster.local`);
}

describe('config/samples files', () => {
  const files = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.yaml')).sort();
  const sampleFiles = files.filter((f) => f !== 'kustomization.yaml' && f !== 'namespaces.yaml');

  it('has one file per kind, named after it, and nothing else but the namespaces', () => {
    expect(sampleFiles).toEqual([
      'toolhive.stacklok.dev_v1alpha1_mcpauthserver.yaml',
      'toolhive.stacklok.dev_v1alpha1_mcpexternalauthconfig.yaml',
      'toolhive.stacklok.dev_v1alpha1_mcpserver.yaml',
    ]);
    for (const file of sampleFiles) {
      const kinds = new Set(parseManifests(readFileSync(join(SAMPLES_DIR, file), 'utf8'), file).map((o) => o.kind.toLowerCase()));
      expect([...kinds], file).toEqual([/_([a-z]+)\.yaml$/.exec(file)?.[1]]);
    }
    const namespaces = parseManifests(readFileSync(join(SAMPLES_DIR, 'namespaces.yaml'), 'utf8'), 'namespaces.yaml');
    expect(new Set(namespaces.map((o) => o.kind))).toEqual(new Set(['Namespace']));
  });

  it('lists every sample file in its kustomization', () => {
    const kustomization = parse(readFileSync(join(SAMPLES_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml'));
  });

  it('contains no Secret or ConfigMap (credentials and trust anchors are never committed)', () => {
    for (const file of files.filter((f) => f !== 'kustomization.yaml')) {
      const kinds = parseManifests(readFileSync(join(SAMPLES_DIR, file), 'utf8'), file).map((o) => o.kind);
      expect(kinds).not.toContain('Secret');
      expect(kinds).not.toContain('ConfigMap');
    }
  });
});

describe.skipIf(!KUBECTL)('config/samples objects', () => {
  it('holds the spec §3 examples and the proposal manifests', async () => {
    const ids = ours(await render('config/samples')).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`);
    expect(ids.sort()).toEqual([
      'MCPAuthServer toolhive-system/main-authserver',
      'MCPAuthServer toolhive-system/mcp-auth',
      'MCPAuthServer toolhive-system/mcp-auth-auto',
      'MCPExternalAuthConfig mcp-prod/corp-authserver-client',
      'MCPExternalAuthConfig mcp-servers/main-authserver-client',
      'MCPServer mcp-prod/github-tools',
      'MCPServer mcp-servers/github-tools',
    ]);
  });

  it('pass validate() as written, without warnings', async () => {
    for (const obj of ours(await render('config/samples'))) {
      const result = validate(obj);
      expect(result.errors, `${obj.kind} ${obj.metadata.name}`).toEqual([]);
      expect(result.warnings, `${obj.kind} ${obj.metadata.name}`).toEqual([]);
    }
  });

  it('pass validate() after applyDefaults(), which is idempotent and does not touch the input', async () => {
    for (const obj of ours(await render('config/samples'))) {
      const before = structuredClone(obj);
      const defaulted = applyDefaults(obj);
      expect(obj).toEqual(before);
      expect(applyDefaults(defaulted)).toEqual(defaulted);
      expect(validate(defaulted).errors, `${obj.kind} ${obj.metadata.name}`).toEqual([]);
    }
  });

  it('wire every MCPServer to an MCPAuthServer of the samples that will accept it', async () => {
    const objects = await render('config/samples');
    const servers = all<AuthServer>(objects, 'MCPAuthServer');
    const configs = all<ExternalAuthConfig>(objects, 'MCPExternalAuthConfig');
    const mcpServers = all<McpServer>(objects, 'MCPServer');
    expect(mcpServers.length).toBeGreaterThan(0);
    for (const mcp of mcpServers) {
      const id = `${mcp.metadata.namespace}/${mcp.metadata.name}`;
      const config = configs.find(
        (c) => c.metadata.namespace === mcp.metadata.namespace && c.metadata.name === mcp.spec.externalAuthConfigRef?.name,
      );
      expect(config?.spec.type, id).toBe('authServer');
      const server = config && resolveAuthServer(config, servers);
      expect(server, `${id}: MCPExternalAuthConfig must resolve to a sample MCPAuthServer`).toBeDefined();
      if (!server || !config) continue;
      // §3.3: issuer equals the auth server's; audience equals the normalized resourceUrl.
      expect(mcp.spec.oidcConfig?.inline?.issuer, id).toBe(server.spec.issuer);
      const resource = normalizeResource(mcp.spec.oidcConfig?.resourceUrl ?? '');
      expect(resource.ok && resource.value, id).toBe(mcp.spec.oidcConfig?.inline?.audience);
      // §3.2: trust domain equal; upstreamIdp one of the server's; enterprise mode needs a client issuer.
      const subjects = server.spec.tls?.clientAuth?.allowedSubjects ?? {};
      expect(config.spec.authServer?.clientCert?.trustDomain, id).toBe(subjects.trustDomain);
      const idp = config.spec.authServer?.upstreamIdp;
      if (idp) expect(server.spec.upstreamIdps.map((i) => i.name), id).toContain(idp);
      if (server.spec.tls?.serverCert?.issuerRef) expect(config.spec.authServer?.clientCert?.issuerRef, id).toBeDefined();
      // §4.1 step 7: the server's allowedSubjects admit this MCPServer.
      const ns = mcp.metadata.namespace ?? '';
      if (subjects.allowedNamespaces?.length) expect(subjects.allowedNamespaces, id).toContain(ns);
      if (subjects.allowedNames?.length) expect(subjects.allowedNames, id).toContain(mcp.metadata.name);
      if (subjects.allowedServers?.length) {
        expect(subjects.allowedServers, id).toContainEqual({ namespace: ns, name: mcp.metadata.name });
      }
    }
  });

  it('needed the proposal adjustments: the originals are rejected by validate()', async () => {
    const objects = await render('config/samples');
    // The proposal ran 2 replicas on memory storage.
    const proposalServer = structuredClone(objects.find((o) => o.kind === 'MCPAuthServer' && o.metadata.name === 'main-authserver') as AuthServer);
    expect(validate(proposalServer).errors).toEqual([]);
    proposalServer.spec.replicas = 2;
    expect(validate(proposalServer).errors.map((e) => e.path)).toContain('spec.replicas');
    // The proposal's audience "github-tools" differs from the resourceUrl.
    const proposalMcp = structuredClone(
      objects.find((o) => o.kind === 'MCPServer' && o.metadata.namespace === 'mcp-servers') as McpServer,
    );
    expect(validate(proposalMcp).errors).toEqual([]);
    proposalMcp.spec.oidcConfig!.inline!.audience = 'github-tools';
    expect(validate(proposalMcp).errors.map((e) => e.path)).toContain('spec.oidcConfig.inline.audience');
  });

  it('explain each adjustment of the proposal in a comment', () => {
    const text = (kind: string): string => readFileSync(join(SAMPLES_DIR, `toolhive.stacklok.dev_v1alpha1_${kind}.yaml`), 'utf8');
    expect(text('mcpauthserver')).toMatch(/replicas: 2 -> 1\. .*memory storage/s);
    expect(text('mcpserver')).toMatch(/inline\.audience: the proposal's "github-tools" is replaced by the normalized resourceUrl/);
    expect(text('mcpexternalauthconfig')).toMatch(/url: the proposal's .* INTERNAL Service/s);
  });
});
