import type { KubeObject } from '../../framework/types.ts';

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

export function nsOf(obj: KubeObject, fallback = ''): string {
  return obj.metadata?.namespace || fallback;
}
