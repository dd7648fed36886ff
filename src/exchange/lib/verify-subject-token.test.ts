import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTHeaderParameters } from 'jose';
import { InvalidGrant } from '../errors.ts';
import { verifySubjectToken, type VerificationKeys } from './verify-subject-token.ts';

// The ECDSA fast path (node:crypto on the thread pool) must accept exactly what jose accepts and
// leave every refusal, with its reason, to jose. Each case is checked against jose itself.
const ISSUER = 'https://auth.example.test';
const NOW_MS = Date.UTC(2026, 0, 1, 12);
const NOW_S = NOW_MS / 1000;
const OPTIONS = { issuer: ISSUER, nowMs: NOW_MS, clockToleranceSeconds: 30 };

const CURVES = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' } as const;
type Alg = keyof typeof CURVES;
const keyPairs = Object.fromEntries(
  Object.entries(CURVES).map(([alg, namedCurve]) => [alg, generateKeyPairSync('ec', { namedCurve })]),
) as Record<Alg, { privateKey: KeyObject; publicKey: KeyObject }>;
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const keys: VerificationKeys = {
  algorithms: ['ES256', 'ES384', 'ES512'],
  byKid: (kid) => (kid in keyPairs ? { alg: kid, publicKey: keyPairs[kid as Alg].publicKey } : undefined),
};

function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    iss: ISSUER,
    sub: 'user-1',
    aud: ['https://tools.example.test/mcp'],
    iat: NOW_S,
    nbf: NOW_S,
    exp: NOW_S + 300,
    jti: randomUUID(),
    client_id: 'client-1',
    tsid: 'tsid-1',
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function mint(alg: Alg, payload: Record<string, unknown>, header: Partial<JWTHeaderParameters> = {}, signer?: KeyObject): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg, kid: alg, typ: 'at+jwt', ...header } as JWTHeaderParameters)
    .sign(signer ?? keyPairs[alg].privateKey);
}

async function outcome(token: string, options = OPTIONS): Promise<{ ok: true; payload: unknown } | { ok: false; reason: string }> {
  try {
    return { ok: true, payload: await verifySubjectToken(keys, token, options) };
  } catch (err) {
    if (err instanceof InvalidGrant) return { ok: false, reason: err.reason };
    throw err;
  }
}

async function joseAccepts(alg: Alg, token: string, options = OPTIONS): Promise<boolean> {
  try {
    await jwtVerify(token, keyPairs[alg].publicKey, {
      algorithms: [alg],
      issuer: options.issuer,
      typ: 'at+jwt',
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(options.nowMs),
      requiredClaims: ['exp', 'sub', 'jti'],
    });
    return true;
  } catch {
    return false;
  }
}

describe('verifySubjectToken agrees with jose', () => {
  it.each(Object.keys(CURVES) as Alg[])('accepts a valid %s token with the claims jose returns', async (alg) => {
    const token = await mint(alg, claims());
    const got = await outcome(token);
    expect(got.ok).toBe(true);
    const { payload } = await jwtVerify(token, keyPairs[alg].publicKey, { currentDate: new Date(NOW_MS) });
    expect(got).toEqual({ ok: true, payload: { ...payload, aud: payload.aud } });
  });

  it.each([
    ['typ application/at+jwt', claims(), { typ: 'application/at+jwt' }, true],
    ['typ AT+JWT', claims(), { typ: 'AT+JWT' }, true],
    ['crit b64 true', claims(), { crit: ['b64'], b64: true }, undefined],
    ['exp at the edge of the leeway', claims({ exp: NOW_S - 29 }), {}, true],
    ['exp just beyond the leeway', claims({ exp: NOW_S - 30 }), {}, false],
    ['nbf at the edge of the leeway', claims({ nbf: NOW_S + 30 }), {}, true],
    ['nbf beyond the leeway', claims({ nbf: NOW_S + 31 }), {}, false],
    ['exp as a string', claims({ exp: String(NOW_S + 300) }), {}, false],
    ['nbf as a string', claims({ nbf: String(NOW_S) }), {}, false],
    ['iat as a string', claims({ iat: String(NOW_S) }), {}, false],
    ['no exp', claims({ exp: undefined }), {}, false],
    ['no iss', claims({ iss: undefined }), {}, false],
    ['no jti', claims({ jti: undefined }), {}, false],
    ['other iss', claims({ iss: `${ISSUER}/` }), {}, false],
    ['typ JWT', claims(), { typ: 'JWT' }, false],
    ['no typ', claims(), { typ: undefined }, false],
  ] as const)('%s: same decision as jose', async (_label, payload, header, expected) => {
    const token = await mint('ES256', payload, header as Partial<JWTHeaderParameters>);
    const jose = await joseAccepts('ES256', token);
    if (expected !== undefined) expect(jose).toBe(expected);
    expect((await outcome(token)).ok).toBe(jose);
  });

  it('signature by another key → token_bad_signature (jose decides)', async () => {
    const token = await mint('ES256', claims(), {}, other.privateKey);
    expect(await outcome(token)).toEqual({ ok: false, reason: 'token_bad_signature' });
  });

  it('a truncated or altered signature: same decision as jose', async () => {
    const token = await mint('ES256', claims());
    expect((await outcome(token.slice(0, -4))).ok).toBe(false);
    const cut = token.lastIndexOf('.') + 1;
    // Each character of the signature, changed: most change the bytes (refused); the last one
    // carries unused low bits, and jose's base64url decoding ignores them as Buffer's does.
    for (let i = cut; i < token.length; i += 7) {
      const altered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      expect((await outcome(altered)).ok).toBe(await joseAccepts('ES256', altered));
    }
    expect((await outcome(`${token}A`)).ok).toBe(await joseAccepts('ES256', `${token}A`));
    const last = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    expect((await outcome(last)).ok).toBe(await joseAccepts('ES256', last));
  });

  it('a payload swapped under a valid signature is refused', async () => {
    const [h, , s] = (await mint('ES256', claims())).split('.');
    const p = (await mint('ES256', claims({ sub: 'mallory' }))).split('.')[1];
    expect(await outcome(`${h}.${p}.${s}`)).toEqual({ ok: false, reason: 'token_bad_signature' });
  });

  it('an unusable clock or leeway is refused as jose refuses it', async () => {
    const token = await mint('ES256', claims());
    expect((await outcome(token, { ...OPTIONS, nowMs: Number.NaN })).ok).toBe(false);
    expect((await outcome(token, { ...OPTIONS, clockToleranceSeconds: -1 })).ok).toBe(false);
  });

  it('expired and not-yet-valid tokens keep their reasons', async () => {
    expect(await outcome(await mint('ES256', claims({ exp: NOW_S - 31 })))).toEqual({ ok: false, reason: 'token_expired' });
    expect(await outcome(await mint('ES256', claims({ nbf: NOW_S + 120 })))).toEqual({ ok: false, reason: 'token_not_yet_valid' });
    expect(await outcome(await mint('ES256', claims({ iss: 'https://idp.example.test' })))).toEqual({ ok: false, reason: 'token_bad_iss' });
  });
});

describe('protected header decoding agrees with jose decodeProtectedHeader', () => {
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const rest = async () => (await mint('ES256', claims())).split('.').slice(1).join('.');

  it.each([
    ['a JSON array', b64('[1,2]')],
    ['a JSON string', b64('"ES256"')],
    ['not JSON', b64('{alg:ES256}')],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url')],
    ['a length base64url cannot have (4n+1)', `${b64('{"alg":"ES256","kid":"ES256","typ":"at+jwt"}')}A`.padEnd(61, 'A').slice(0, 61)],
  ])('%s → token_malformed', async (_label, header) => {
    expect(await outcome(`${header}.${await rest()}`)).toEqual({ ok: false, reason: 'token_malformed' });
    expect(() => decodeProtectedHeader(`${header}.${'x'}.${'y'}`)).toThrow();
  });

  it('unused low bits in the last header character are ignored, as jose ignores them (the signature then fails)', async () => {
    const token = await mint('ES256', claims());
    const h = token.slice(0, token.indexOf('.'));
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = h.slice(0, -1) + alphabet[alphabet.indexOf(h.at(-1)!) ^ 1];
    const other = `${tweaked}${token.slice(h.length)}`;
    const jose = (() => {
      try {
        return decodeProtectedHeader(other);
      } catch {
        return null;
      }
    })();
    const got = await outcome(other);
    if (jose === null) expect(got).toEqual({ ok: false, reason: 'token_malformed' });
    else expect(got).toEqual({ ok: false, reason: 'token_bad_signature' });
  });
});
