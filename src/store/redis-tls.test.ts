/** The Redis store over TLS (`rediss://`) with a private CA, against a real TLS redis-server. */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCA, issueServerCert, type CertBundle } from '../pki/index.ts';
import { startRedisServer, type RedisServerHandle } from '../../test/helpers/redis-server.ts';
import { createRedisStore } from './redis-store.ts';
import { StoreError } from './types.ts';

const encryptionKeys = { activeKeyId: 'k1', keys: { k1: randomBytes(32) } };
let ca: CertBundle;
let redis: RedisServerHandle;

beforeAll(async () => {
  ca = await createCA({ commonName: 'redis test CA' });
  const server = await issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  redis = await startRedisServer({ tls: { certPem: server.certPem, keyPem: server.keyPem, caPem: ca.certPem } });
});
afterAll(async () => {
  await redis?.stop({ keepData: false });
});

it('works over rediss:// when given the CA that signed the server certificate', async () => {
  expect(redis.url.startsWith('rediss://')).toBe(true);
  const store = await createRedisStore({ url: redis.url, keyPrefix: 'thv:auth:{tls:test}:', commandTimeoutMs: 250, encryptionKeys, caPem: ca.certPem });
  try {
    expect(await store.healthy()).toBe(true);
    await store.pending.put('s', { tsid: 't' } as never, 60_000);
    expect(await store.pending.take('s')).toEqual({ tsid: 't' });
  } finally {
    await store.close();
  }
});

it('refuses a server certificate it cannot verify (fails closed as unavailable)', async () => {
  const otherCa = await createCA({ commonName: 'some other CA' });
  const store = await createRedisStore({
    url: redis.url,
    keyPrefix: 'thv:auth:{tls:test}:',
    commandTimeoutMs: 250,
    encryptionKeys,
    caPem: otherCa.certPem,
    initialConnectWaitMs: 300,
  });
  try {
    expect(await store.healthy()).toBe(false);
    const err = await store.pending.take('s').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('unavailable');
  } finally {
    await store.close();
  }
});

it('rejects caPem with a plain redis:// url', async () => {
  await expect(createRedisStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'thv:auth:{x}:', commandTimeoutMs: 250, encryptionKeys, caPem: ca.certPem })).rejects.toThrow(
    /caPem: only allowed with a rediss:\/\/ url/,
  );
});
