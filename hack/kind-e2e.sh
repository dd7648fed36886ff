#!/usr/bin/env bash
# End-to-end check on a throw-away kind cluster, for machines with Docker and kind:
#   1. create the cluster, install cert-manager from its release manifest (pinned version);
#   2. build the project image and load it into the cluster;
#   3. install the operator (config/overlays/dev: CRDs, RBAC, controller + webhooks) and the samples;
#   4. wait until the auto-CA sample MCPAuthServer (mcp-auth-auto) is Ready;
#   5. create an MCPExternalAuthConfig + MCPServer in namespace e2e, wait for the client certificate,
#      start a pod labelled as that MCPServer (the pod webhook injects the mTLS material), and call
#      the internal token exchange from it over mTLS: a junk subject token must be answered with
#      400 invalid_grant (identity and subject policy passed, token rejected); the same call
#      without a client certificate must fail at the TLS handshake.
# A full exchange with a real user session needs an interactive login at an upstream IdP; the
# local stack (`npm start`, `mcp-authserver dev --check`) covers that flow without a cluster.
#
# Usage: hack/kind-e2e.sh            (KEEP_CLUSTER=1 to keep the cluster afterwards)
# Env:   CLUSTER_NAME (mcp-authserver-e2e), CERT_MANAGER_VERSION, IMAGE (mcp-authserver:dev),
#        KIND_NODE_IMAGE (optional), TIMEOUT (300s)
set -euo pipefail

CLUSTER_NAME="${CLUSTER_NAME:-mcp-authserver-e2e}"
CERT_MANAGER_VERSION="${CERT_MANAGER_VERSION:-v1.16.2}"
IMAGE="${IMAGE:-mcp-authserver:dev}"
TIMEOUT="${TIMEOUT:-300s}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
E2E_NS=e2e
AS_NS=toolhive-system
AS_NAME=mcp-auth-auto
WORK="$(mktemp -d)"

log() { printf '\n==> %s\n' "$*"; }
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  kubectl get mcpauthservers,mcpexternalauthconfigs,mcpservers -A -o wide >&2 || true
  kubectl -n "$AS_NS" get mcpauthserver "$AS_NAME" -o jsonpath='{.status}' >&2 || true
  kubectl -n mcp-authserver-system logs deploy/mcp-authserver-controller --tail=100 >&2 || true
  exit 1
}
cleanup() {
  rm -rf "$WORK"
  if [[ "${KEEP_CLUSTER:-0}" != 1 ]]; then
    kind delete cluster --name "$CLUSTER_NAME" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

for tool in docker kind kubectl openssl; do
  command -v "$tool" >/dev/null || { echo "hack/kind-e2e.sh needs $tool on PATH" >&2; exit 2; }
done

log "kind cluster $CLUSTER_NAME"
if ! kind get clusters | grep -qx "$CLUSTER_NAME"; then
  kind create cluster --name "$CLUSTER_NAME" ${KIND_NODE_IMAGE:+--image "$KIND_NODE_IMAGE"} --wait 120s
fi
kubectl config use-context "kind-$CLUSTER_NAME" >/dev/null

log "cert-manager $CERT_MANAGER_VERSION"
kubectl apply -f "https://github.com/cert-manager/cert-manager/releases/download/${CERT_MANAGER_VERSION}/cert-manager.yaml"
kubectl -n cert-manager wait --for=condition=Available deployment --all --timeout="$TIMEOUT"

log "image $IMAGE"
docker build -t "$IMAGE" "$ROOT"
kind load docker-image "$IMAGE" --name "$CLUSTER_NAME"

log "operator (config/overlays/dev)"
kubectl apply --server-side -k "$ROOT/config/overlays/dev"
kubectl -n mcp-authserver-system rollout status deployment/mcp-authserver-controller --timeout="$TIMEOUT"
kubectl -n mcp-authserver-system wait --for=condition=Available deployment/mcp-authserver-controller --timeout="$TIMEOUT"

log "samples (config/samples) and the Secrets of $AS_NS/$AS_NAME"
kubectl apply --server-side -k "$ROOT/config/samples"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/signing.pem" 2>/dev/null
kubectl -n "$AS_NS" create secret generic as-signing --from-file=private.pem="$WORK/signing.pem" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$AS_NS" create secret generic google-oauth --from-literal=secret=e2e-not-a-real-secret --dry-run=client -o yaml | kubectl apply -f -

log "waiting for MCPAuthServer $AS_NS/$AS_NAME Ready"
kubectl -n "$AS_NS" wait --for=condition=Ready "mcpauthserver/$AS_NAME" --timeout="$TIMEOUT" || fail "MCPAuthServer $AS_NAME not Ready"
kubectl -n "$AS_NS" get mcpauthserver "$AS_NAME"

log "client side in namespace $E2E_NS"
kubectl create namespace "$E2E_NS" --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f - <<EOF
apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPExternalAuthConfig
metadata: {name: e2e-client, namespace: $E2E_NS}
spec:
  type: authServer
  authServer:
    authServerRef: {name: $AS_NAME, namespace: $AS_NS}
    clientCert: {trustDomain: toolhive.local}
---
apiVersion: toolhive.stacklok.dev/v1alpha1
kind: MCPServer
metadata: {name: e2e-tools, namespace: $E2E_NS}
spec:
  image: $IMAGE
  oidcConfig:
    type: inline
    resourceUrl: https://e2e-tools.mcp.example.com/mcp
    inline: {issuer: https://auth.mcp.example.com, audience: https://e2e-tools.mcp.example.com/mcp}
  externalAuthConfigRef: {name: e2e-client}
EOF
kubectl -n "$E2E_NS" wait --for=condition=Ready certificate/e2e-tools-mtls --timeout="$TIMEOUT" || fail "client certificate e2e-tools-mtls not Ready"
kubectl -n "$E2E_NS" wait --for=condition=AuthServerResourceRegistered mcpserver/e2e-tools --timeout="$TIMEOUT" || fail "resource not registered"

log "exchange client pod (mTLS material injected by the pod webhook)"
kubectl apply -f - <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: exchange-client
  namespace: $E2E_NS
  labels: {toolhive.stacklok.dev/mcpserver: e2e-tools}
spec:
  securityContext: {runAsNonRoot: true, runAsUser: 65532, fsGroup: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: proxy
      image: curlimages/curl:8.11.0
      command: [sleep, "3600"]
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
kubectl -n "$E2E_NS" wait --for=condition=Ready pod/exchange-client --timeout="$TIMEOUT" || fail "exchange-client pod not Ready"
kubectl -n "$E2E_NS" get pod exchange-client -o jsonpath='{.spec.containers[0].env}' | grep -q TOOLHIVE_AUTHSERVER_CONFIG || fail "pod webhook did not inject TOOLHIVE_AUTHSERVER_CONFIG"

URL="https://${AS_NAME}-internal.${AS_NS}.svc.cluster.local/internal/token-exchange"
exchange() {
  kubectl -n "$E2E_NS" exec exchange-client -c proxy -- curl -sS -o /tmp/body -w '%{http_code}' "$@" \
    --cacert /etc/toolhive/authserver-ca/ca.crt \
    --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
    --data-urlencode subject_token=eyJhbGciOiJFUzI1NiJ9.e30.c2ln \
    --data-urlencode subject_token_type=urn:ietf:params:oauth:token-type:jwt \
    "$URL"
}

log "token exchange over mTLS with the pod's SPIFFE certificate"
status="$(exchange --cert /etc/toolhive/authserver-mtls/tls.crt --key /etc/toolhive/authserver-mtls/tls.key)" || fail "mTLS call failed"
body="$(kubectl -n "$E2E_NS" exec exchange-client -c proxy -- cat /tmp/body)"
echo "HTTP $status $body"
[[ "$status" == 400 && "$body" == *'"invalid_grant"'* ]] || fail "expected 400 invalid_grant for a junk subject token, got $status $body"

log "the same call without a client certificate must fail at the TLS handshake"
if exchange >/dev/null 2>&1; then fail "the internal endpoint answered without a client certificate"; fi

log "PASS"
