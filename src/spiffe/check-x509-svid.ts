import { X509Certificate, type X509Certificate as NodeX509 } from 'node:crypto';
import { SpiffeError } from './errors.ts';
import { parseSpiffeId, type McpServerIdentity } from './parse-spiffe-id.ts';
import { readSvidFields } from './lib/svid-fields.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** What the audit log records about the peer certificate (spec §6.3), plus the identity. */
export interface SvidIdentity extends McpServerIdentity {
  certCn: string;
  certSerial: string;
  certNotAfterMs: number;
}

/**
 * Checks an already chain-verified client certificate as an X.509-SVID (SPIFFE X509-SVID §4,
 * spec §2.10 step 3): exactly one URI SAN and it is a valid MCPServer SPIFFE ID; leaf not a CA;
 * no keyCertSign/cRLSign; EKU contains clientAuth. Accepts DER bytes (`getPeerCertificate().raw`),
 * PEM, or a node `X509Certificate`. Throws {@link SpiffeError}.
 *
 * @example
 * const identity = checkX509Svid(socket.getPeerCertificate().raw);
 * identity.namespace; // 'tools'
 */
export function checkX509Svid(cert: Buffer | string | NodeX509): SvidIdentity {
  let parsed: NodeX509;
  try {
    parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  } catch {
    throw new SpiffeError('bad_certificate', 'client certificate cannot be parsed');
  }
  const fields = readSvidFields(parsed.raw);
  if (fields.uriSans.length !== 1) {
    throw new SpiffeError('uri_san_count', `client certificate must carry exactly one URI SAN, found ${fields.uriSans.length}`);
  }
  if (fields.isCA) throw new SpiffeError('leaf_is_ca', 'client certificate is a CA certificate');
  if (fields.keyCertSign || fields.cRLSign) {
    throw new SpiffeError('ca_key_usage', 'client certificate has keyCertSign or cRLSign key usage');
  }
  if (!fields.extKeyUsages.includes(CLIENT_AUTH_OID)) {
    throw new SpiffeError('no_client_auth_eku', 'client certificate lacks the clientAuth extended key usage');
  }
  const identity = parseSpiffeId(fields.uriSans[0]!);
  return {
    ...identity,
    certCn: fields.commonName,
    certSerial: parsed.serialNumber.toLowerCase(),
    certNotAfterMs: Date.parse(parsed.validTo),
  };
}
