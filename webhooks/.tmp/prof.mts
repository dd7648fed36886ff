import { createMemoryLookup, buildRoutes, decodeAdmissionReview, toReviewResponse } from '../index.ts';
import { authServerConfig, mcpServer } from '../testing/objects.ts';
import { fixture } from '../testing/reviews.ts';
const lookup = createMemoryLookup([mcpServer('mcp-servers', 'github-tools', 'main-authserver-client'), authServerConfig('mcp-servers', 'main-authserver-client', { authServerRef: { name: 'auth', namespace: 'toolhive-system' }, upstreamIdp: 'corp' })]);
const routes = buildRoutes({ lookup });
const body = Buffer.from(JSON.stringify(fixture('pod-create.json')));
const h = routes.get('/mutate-pods')!.handler;
for (const n of [1000, 5000, 20000]) {
  const t = performance.now();
  for (let i = 0; i < n; i++) { const r = decodeAdmissionReview(body); JSON.stringify(toReviewResponse(r.uid, await h(r))); }
  console.log(n, ((performance.now() - t) / n).toFixed(3), 'ms/op');
}
