import { Agent, request } from 'undici';
import { applyJsonPatch } from './apply-patch.ts';
import type { AdmissionReviewResponse, JsonPatchOperation } from '../framework/types.ts';

/** HTTPS keep-alive client that trusts only the test CA, as the apiserver trusts only caBundle. */
export function makeClient(baseUrl: string, caPem: string) {
  const agent = new Agent({ connect: { ca: caPem, servername: 'localhost' } });
  return {
    async post(path: string, body: unknown, headers: Record<string, string> = {}) {
      const res = await request(`${baseUrl}${path}`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as AdmissionReviewResponse };
    },
    async get(path: string, method = 'GET') {
      const res = await request(`${baseUrl}${path}`, { method: method as 'GET', dispatcher: agent });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    },
    close: () => agent.close(),
  };
}

/** Decodes `response.patch` (base64 JSON Patch); [] when there is none. */
export function decodePatch(review: AdmissionReviewResponse): JsonPatchOperation[] {
  const { patch, patchType } = review.response;
  if (patch === undefined) return [];
  if (patchType !== 'JSONPatch') throw new Error(`unexpected patchType ${String(patchType)}`);
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as JsonPatchOperation[];
}

/** Applies a returned patch to a copy of `obj`, strictly (validation on, as the apiserver does). */
export function applyReturnedPatch<T>(obj: T, review: AdmissionReviewResponse): T {
  const ops = decodePatch(review);
  return applyJsonPatch(obj, ops);
}
