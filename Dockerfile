# syntax=docker/dockerfile:1
# mcp-authserver: one image for every component (controller + webhooks, auth server, proxy).
#   docker build -t mcp-authserver:dev .
# Build stage: full npm install (TypeScript), type-check and compile, bundle the servers into
# dist/bundle (hack/bundle.ts says why: a bundle loads a fraction of the code), then drop dev
# dependencies.
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY webhooks ./webhooks
COPY hack/bundle.ts ./hack/bundle.ts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/.cache

# Runtime: distroless Node 22 (no shell, no package manager), non-root, read-only friendly.
FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# A young generation of at most 2 MB per semi-space (V8's default grows it to 16 MB): under load
# the servers otherwise grow ~30 MB of resident memory for garbage the next scavenge frees, which
# is what kept the webhook server and the proxy above their 100 MB budgets (issue 7;
# docs/performance-analysis.md). bench/memory.ts runs every server with exactly this line.
ENV NODE_OPTIONS="--max-semi-space-size=2"
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist/bundle ./dist/bundle
# 65532 = distroless "nonroot"; the manifests set the same runAsUser/fsGroup.
USER 65532:65532
EXPOSE 8443 9443 8081
# bin/mcp-authserver.mjs runs the bundled CLI, dist/bundle/mcp-authserver.mjs, when src/ is absent (always, in this image).
ENTRYPOINT ["/nodejs/bin/node", "bin/mcp-authserver.mjs"]
CMD ["--help"]
