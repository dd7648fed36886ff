/**
 * RFC 7518 §3.4 → RFC 3279 §2.2.3: an ECDSA signature in JWS form (IEEE P1363, `r || s`, each
 * `half` bytes) as the DER `ECDSA-Sig-Value` OpenSSL verifies, encoded the way OpenSSL encodes it
 * (minimal INTEGERs, a 0x00 before a high bit, zero as `02 01 00`).
 *
 * Why here and not `dsaEncoding: 'ieee-p1363'`: node:crypto then converts in C++ through OpenSSL
 * BIGNUMs and an options object per call, which was the largest part of dispatching the
 * exchange's one ES256 verify to the thread pool. The bytes are the same either way.
 *
 * @example
 * p1363ToDer(Buffer.alloc(64, 1), 32); // <Buffer 30 44 02 20 01 01 … 02 20 01 01 …>
 */
export function p1363ToDer(signature: Uint8Array, half: number): Buffer {
  if (signature.length !== 2 * half) throw new Error('internal error: P1363 signature has the wrong length');
  const rStart = firstSignificant(signature, 0, half);
  const sStart = firstSignificant(signature, half, 2 * half);
  const rPad = signature[rStart]! >= 0x80 ? 1 : 0;
  const sPad = signature[sStart]! >= 0x80 ? 1 : 0;
  const rLen = half - rStart + rPad;
  const sLen = 2 * half - sStart + sPad;
  const bodyLen = 2 + rLen + 2 + sLen; // each INTEGER is at most 67 bytes (P-521): short-form lengths
  const out = Buffer.allocUnsafe((bodyLen < 0x80 ? 2 : 3) + bodyLen);
  let at = 0;
  out[at++] = 0x30;
  if (bodyLen >= 0x80) out[at++] = 0x81;
  out[at++] = bodyLen;
  at = writeInteger(out, at, signature, rStart, half, rLen, rPad);
  writeInteger(out, at, signature, sStart, 2 * half, sLen, sPad);
  return out;
}

/** Index of the first non-zero byte in [start, end), keeping at least the last byte. */
function firstSignificant(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end - 1 && bytes[i] === 0) i++;
  return i;
}

function writeInteger(out: Buffer, at: number, bytes: Uint8Array, start: number, end: number, len: number, pad: number): number {
  out[at++] = 0x02;
  out[at++] = len;
  if (pad) out[at++] = 0x00;
  out.set(bytes.subarray(start, end), at);
  return at + end - start;
}
