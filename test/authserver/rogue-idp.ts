/**
 * A deliberately misbehaving OpenID provider for negative tests of ID-token validation (spec §6.2
 * callback rows: wrong iss/aud, expired, bad signature). oidc-provider cannot be made to sign bad
 * ID tokens, so this small express server plays the upstream: real discovery, JWKS and token
 * endpoints over HTTP, with the ID token built by the test's `mutate` function. Used only where a
 * real provider cannot produce the input.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, exportJWK, SignJWT, type JWTPayload } from 'jose';

export interface RogueIdp {
  issuer: string;
  clientId: string;
  /** Builds the next ID token's claims from the honest ones; `signWithForeignKey` breaks the signature. */
  behave(b: { mutate?: (claims: JWTPayload) => JWTPayload; signWithForeignKey?: boolean }): void;
  stop(): Promise<void>;
}

export async function startRogueIdp(): Promise<RogueIdp> {
  const app = express();
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'rogue-client';
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const foreign = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const nonces = new Map<string, string>();
  let behaviour: { mutate?: (claims: JWTPayload) => JWTPayload; signWithForeignKey?: boolean } = {};

  app.get('/.well-known/openid-configuration', (_req, res) => {
    res.json({
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
  });
  app.get('/jwks', (_req, res) => {
    res.json({ keys: [jwk] });
  });
  app.get('/authorize', (req, res) => {
    const code = `code-${Math.random().toString(36).slice(2)}`;
    nonces.set(code, String(req.query.nonce ?? ''));
    const target = new URL(String(req.query.redirect_uri));
    target.searchParams.set('code', code);
    target.searchParams.set('state', String(req.query.state));
    res.redirect(302, target.href);
  });
  app.post('/token', express.urlencoded({ extended: false }), async (req, res) => {
    const code = String((req.body as Record<string, string>).code);
    const now = Math.floor(Date.now() / 1000);
    const honest: JWTPayload = { iss: issuer, aud: clientId, sub: 'mallory', iat: now, exp: now + 300, nonce: nonces.get(code) };
    const claims = behaviour.mutate ? behaviour.mutate(honest) : honest;
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(behaviour.signWithForeignKey ? foreign.privateKey : privateKey);
    res.json({ access_token: 'upstream-at', token_type: 'Bearer', expires_in: 300, id_token: idToken, refresh_token: 'upstream-rt' });
  });

  return {
    issuer,
    clientId,
    behave: (b) => {
      behaviour = b;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
