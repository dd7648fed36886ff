// Admission webhooks context (spec §4.5): the HTTPS server, the plugins and the lookup interface.
export { startWebhookServer, type WebhookServer, type WebhookServerOptions } from './server.ts';
export { buildRoutes, WEBHOOK_PATHS, type Route, type RouteOptions } from './routes.ts';
export type { InjectionLookup } from './lookup/injection-lookup.ts';
export { createMemoryLookup, type MemoryLookup } from './lookup/memory-lookup.ts';
export { createInformerLookup, type InformerLookupOptions } from './lookup/informer-lookup.ts';
export { decodeAdmissionReview } from './framework/decode-review.ts';
export { allowed, denied, errored, patched, toReviewResponse } from './framework/responses.ts';
export { patchFromRaw } from './framework/patch-from-raw.ts';
export type * from './framework/types.ts';
