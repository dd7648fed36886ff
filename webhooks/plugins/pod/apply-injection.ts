import { cloneJson } from '../../framework/clone-json.ts';
import { frozenPatchValue } from '../../framework/responses.ts';
import type { FieldError, JsonPatchOperation, KubeObject } from '../../framework/types.ts';
import { asRecord, CLIENT_CONTAINER_ANNOTATION, DEFAULT_CLIENT_CONTAINER } from './desired-injection.ts';
import type { EnvVar, InjectionMaterial } from './desired-injection.ts';

type Named = { name?: unknown; [key: string]: unknown };

/**
 * Writes `material` into `pod` in place (the caller passes a deep copy): volumes into
 * `spec.volumes`, mounts and env into the client container (annotation
 * `toolhive.stacklok.dev/authserver-client-container`, default `proxy`; containers first, then
 * native-sidecar initContainers). Entries are matched by name and set to the desired value, never
 * appended twice, so a second pass changes nothing (reinvocationPolicy IfNeeded). Returns field
 * errors instead of mutating when the container is missing or one of our mount paths is taken by
 * another volume (Kubernetes would reject the duplicate path with a less helpful message).
 *
 * @example
 * const errors = applyInjection(podCopy, material); // [] and podCopy now carries the material
 */
export function applyInjection(pod: KubeObject, material: InjectionMaterial): FieldError[] {
  const plan = planInjection(pod, material);
  if (!plan.ok) return plan.errors;
  const { spec, container, mounts } = plan;
  spec.volumes = upsertByName(listOf(spec.volumes), material.volumes, cloneJson);
  container.volumeMounts = upsertByName(mounts, material.mounts, cloneJson);
  container.env = upsertByName(listOf(container.env), [material.env], cloneJson);
  return [];
}

/**
 * The RFC 6902 patch that turns `pod` into what {@link applyInjection} makes of a copy of it,
 * computed from what injection adds instead of copying the pod spec and diffing it: `pod` is only
 * read. Usually a few `add` operations (our volumes, mounts and env appended); a list whose
 * entries had to be replaced or de-duplicated is written whole. The values are the `material`
 * objects themselves, not copies (serialised right away, never mutated).
 *
 * @example
 * const result = injectionPatch(rawPod, material); // {ok: true, ops: [{op: 'add', path: '/spec/volumes/1', value: ...}, ...]}
 */
export function injectionPatch(pod: KubeObject, material: InjectionMaterial): { ok: true; ops: JsonPatchOperation[] } | { ok: false; errors: FieldError[] } {
  const plan = planInjection(pod, material);
  if (!plan.ok) return plan;
  const { spec, container, containerPointer, mounts } = plan;
  const ops: JsonPatchOperation[] = [];
  listPatch(ops, '/spec/volumes', spec.volumes, material.volumes);
  listPatch(ops, `${containerPointer}/volumeMounts`, container.volumeMounts, material.mounts, mounts);
  listPatch(ops, `${containerPointer}/env`, container.env, envList(material));
  return { ok: true, ops };
}

/** `[material.env]`, one array per material (frozen with it when the material is). */
const envLists = new WeakMap<InjectionMaterial, readonly EnvVar[]>();
function envList(material: InjectionMaterial): readonly EnvVar[] {
  let list = envLists.get(material);
  if (!list) {
    list = [material.env];
    if (Object.isFrozen(material)) list = frozenPatchValue(list);
    envLists.set(material, list);
  }
  return list;
}

type Plan = { ok: true; spec: Record<string, unknown>; container: Named; containerPointer: string; mounts: Named[] } | { ok: false; errors: FieldError[] };

/** The checks both forms share (container present, our mount paths free); reads `pod` only. */
function planInjection(pod: KubeObject, material: InjectionMaterial): Plan {
  const spec = asRecord(pod.spec);
  if (!spec) return { ok: false, errors: [{ path: 'spec', rule: 'required', message: 'pod has no spec' }] };
  const wanted = pod.metadata?.annotations?.[CLIENT_CONTAINER_ANNOTATION] ?? DEFAULT_CLIENT_CONTAINER;
  const located = findContainer(spec, wanted);
  if (!located) {
    const names = [...listOf(spec.containers), ...listOf(spec.initContainers)].map((c) => String(c.name)).join(', ');
    const fromAnnotation = pod.metadata?.annotations?.[CLIENT_CONTAINER_ANNOTATION] !== undefined;
    const error: FieldError = {
      path: fromAnnotation ? `metadata.annotations[${CLIENT_CONTAINER_ANNOTATION}]` : 'spec.containers',
      rule: 'client-container-exists',
      message: `no container named "${wanted}" to receive the auth-server client material (containers: ${names || 'none'})${
        fromAnnotation ? '' : `; name it "${DEFAULT_CLIENT_CONTAINER}" or set annotation ${CLIENT_CONTAINER_ANNOTATION}`
      }`,
    };
    return { ok: false, errors: [error] };
  }
  const { container, field, index } = located;
  const containerPath = `spec.${field}[${index}]`;
  const mounts = listOf(container.volumeMounts);
  const errors: FieldError[] = [];
  mounts.forEach((m, i) => {
    const clash = material.mounts.find((want) => want.mountPath === m.mountPath && want.name !== m.name);
    if (clash) {
      errors.push({
        path: `${containerPath}.volumeMounts[${i}].mountPath`,
        rule: 'mount-path-free',
        message: `${String(m.mountPath)} is reserved for volume ${clash.name} but volume ${String(m.name)} is mounted there`,
      });
    }
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, spec, container, containerPointer: `/spec/${field}/${index}`, mounts };
}

/**
 * Appends to `ops` the patch from the list at `pointer` (`raw`, possibly absent or not a list) to
 * `upsertByName(raw, desired)`: nothing when it is unchanged, `add` per appended entry when only
 * entries were appended, `replace` per entry that changed in place, the whole list otherwise.
 */
function listPatch(ops: JsonPatchOperation[], pointer: string, raw: unknown, desired: ReadonlyArray<{ name: string }>, rawList: Named[] = listOf(raw)): void {
  if (!Array.isArray(raw)) {
    // Nothing to keep: the list becomes exactly the desired entries (the caller's objects, whose text may be cached).
    ops.push({ op: raw === undefined ? 'add' : 'replace', path: pointer, value: desired });
    return;
  }
  const out = upsertByName(rawList, desired, same);
  // upsertByName keeps the raw entries it does not replace (same objects) and drops duplicates.
  if (out.length < raw.length) {
    ops.push({ op: 'replace', path: pointer, value: out });
    return;
  }
  for (let i = 0; i < raw.length; i++) {
    if (out[i] === raw[i]) continue;
    if ((out[i] as Named).name !== (raw[i] as Named | undefined)?.name) {
      ops.push({ op: 'replace', path: pointer, value: out });
      return;
    }
  }
  for (let i = 0; i < raw.length; i++) if (out[i] !== raw[i]) ops.push({ op: 'replace', path: `${pointer}/${i}`, value: out[i] });
  for (let i = raw.length; i < out.length; i++) ops.push({ op: 'add', path: `${pointer}/${i}`, value: out[i] });
}

const same = <T>(value: T): T => value;

function findContainer(spec: Record<string, unknown>, name: string): { container: Named; field: 'containers' | 'initContainers'; index: number } | undefined {
  for (const field of ['containers', 'initContainers'] as const) {
    const list = listOf(spec[field]);
    const index = list.findIndex((c) => c.name === name);
    const container = list[index];
    if (container) return { container, field, index };
  }
  return undefined;
}

/**
 * Makes each desired entry appear exactly once, at the position of its first same-name entry
 * (later duplicates are dropped: for env the last one would win, which is not ours to guess).
 * An existing entry that already carries the desired values is kept as it is; "carries" is a
 * subset match, not equality: between two webhook passes the apiserver applies its own defaults
 * (`defaultMode: 420` on secret/configMap volumes), which must not count as a change.
 */
function upsertByName<T extends { name: string }>(list: Named[], desired: readonly T[], copy: (value: T) => T): Named[] {
  let out = [...list];
  for (const want of desired) {
    const index = out.findIndex((item) => item.name === want.name);
    if (index === -1) {
      out.push(copy(want) as unknown as Named);
      continue;
    }
    out = out.filter((item, i) => i <= index || item.name !== want.name);
    if (!containsDesired(out[index], want)) out[index] = copy(want) as unknown as Named;
  }
  return out;
}

/**
 * True when every value in `desired` is present and equal in `actual` (arrays: same length, element-wise).
 *
 * @example
 * containsDesired({ name: 'v', secret: { secretName: 's', defaultMode: 420 } }, { name: 'v', secret: { secretName: 's' } }) // true
 */
export function containsDesired(actual: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => containsDesired(actual[i], d));
  }
  const want = asRecord(desired);
  if (want) {
    const have = asRecord(actual);
    return have !== undefined && Object.entries(want).every(([k, v]) => containsDesired(have[k], v));
  }
  return actual === desired;
}

function listOf(value: unknown): Named[] {
  return Array.isArray(value) ? (value as Named[]) : [];
}
