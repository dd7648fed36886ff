/**
 * Renders kustomizations with the real `kubectl kustomize` (kustomize v5 built into kubectl) and
 * parses the output into plain objects. Renders are cached per directory for the test process.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const CONFIG_DIR = join(REPO_ROOT, 'config');

/** A rendered Kubernetes object; fields are read through typed casts in the tests. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

/** Path of a kubectl binary with kustomize, or null when there is none on this machine. */
export function findKubectl(): string | null {
  const candidates = [process.env.KUBECTL, '/usr/bin/kubectl', '/usr/local/bin/kubectl'];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'kubectl'));
  return candidates.find((p): p is string => !!p && existsSync(p)) ?? null;
}

export const KUBECTL = findKubectl();
if (!KUBECTL) {
  console.warn(
    '\n*** test/manifests: kubectl NOT FOUND (set KUBECTL or install kubectl with kustomize v5): ' +
      'the config/ rendering and validation tests are SKIPPED. ***\n',
  );
}

/** Whether a kustomization file declares a Component (not buildable on its own). */
function isComponent(file: string): boolean {
  return /^kind:\s*Component\s*$/m.test(readFileSync(file, 'utf8'));
}

/**
 * Every directory under `root` holding a buildable kustomization (Components excluded), as paths
 * relative to the repository root, sorted.
 *
 * @example
 * findKustomizations(CONFIG_DIR) // ['config/certmanager', 'config/crd', 'config/default', ...]
 */
export function findKustomizations(root: string = CONFIG_DIR): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/^kustomization\.ya?ml$|^Kustomization$/.test(name) && !isComponent(path)) {
        found.push(relative(REPO_ROOT, dir));
      }
    }
  };
  walk(root);
  return found.sort();
}

const cache = new Map<string, Promise<K8sObject[]>>();

/**
 * `kubectl kustomize <dir>` parsed into objects (dir relative to the repository root).
 *
 * @example
 * const objects = await render('config/default');
 */
export function render(dir: string): Promise<K8sObject[]> {
  let result = cache.get(dir);
  if (!result) {
    result = renderUncached(dir);
    cache.set(dir, result);
  }
  return result;
}

async function renderUncached(dir: string): Promise<K8sObject[]> {
  if (!KUBECTL) throw new Error('internal error: render() called without kubectl');
  let stdout: string;
  try {
    ({ stdout } = await run(KUBECTL, ['kustomize', join(REPO_ROOT, dir)], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    throw new Error(`kubectl kustomize ${dir} failed: ${stderr.trim()}`);
  }
  return parseManifests(stdout, dir);
}

/** Parses a multi-document YAML stream; any YAML error or non-object document throws. */
export function parseManifests(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) throw new Error(`${source} document ${index}: ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${source} document ${index}: not an object`);
    const obj = value as K8sObject;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') {
      throw new Error(`${source} document ${index}: apiVersion, kind and metadata.name are required`);
    }
    objects.push(obj);
  }
  return objects;
}

/** Finds exactly one object of a kind (and name, if given); throws a readable error otherwise. */
export function one<T = K8sObject>(objects: K8sObject[], kind: string, name?: string): T {
  const matches = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (matches.length !== 1) {
    throw new Error(`expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${matches.length}`);
  }
  return matches[0] as T;
}

/** All objects of a kind. */
export function all<T = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** Operator installs: the kustomizations that deploy the controller. */
export const OPERATOR_INSTALLS = ['config/default', 'config/overlays/dev', 'config/overlays/production'] as const;
