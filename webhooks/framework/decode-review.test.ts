import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeAdmissionReview } from './decode-review.ts';
import { WebhookError } from './errors.ts';
import { fixture } from '../testing/reviews.ts';

function failure(body: string): WebhookError {
  try {
    decodeAdmissionReview(body);
  } catch (err) {
    if (err instanceof WebhookError) return err;
    throw err;
  }
  throw new Error('expected a WebhookError');
}

const good = fixture('mcpserver-update.json');

describe('decodeAdmissionReview', () => {
  it('decodes the captured apiserver reviews, keeping object and oldObject as received', () => {
    const req = decodeAdmissionReview(JSON.stringify(good));
    expect(req.uid).toBe('12293663-3a2c-4f7c-8463-e254c5fa0afe');
    expect(req.operation).toBe('UPDATE');
    expect(req.object).toEqual(good.request.object);
    expect(req.oldObject).toEqual(good.request.oldObject);
    expect(decodeAdmissionReview(JSON.stringify(fixture('pod-create-dryrun.json'))).dryRun).toBe(true);
    expect(decodeAdmissionReview(JSON.stringify(fixture('pod-create.json'))).oldObject).toBeNull();
  });

  const withRequest = (patch: Record<string, unknown>) => JSON.stringify({ ...good, request: { ...good.request, ...patch } });
  it.each([
    ['not JSON', '{"kind":', 'body_not_json', /not valid JSON/, undefined],
    ['a JSON array', '[]', 'body_not_object', /must be a JSON object/, undefined],
    ['apiVersion v1beta1', JSON.stringify({ ...good, apiVersion: 'admission.k8s.io/v1beta1' }), 'wrong_api_version', /apiVersion: must be admission.k8s.io\/v1 \(got "admission.k8s.io\/v1beta1"\)/, good.request.uid],
    ['kind missing', JSON.stringify({ ...good, kind: undefined }), 'wrong_kind', /kind: must be AdmissionReview \(got nothing\)/, good.request.uid],
    ['no request', JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), 'missing_request', /request: required/, undefined],
    ['no uid', withRequest({ uid: undefined }), 'missing_uid', /request.uid: required/, undefined],
    ['empty uid', withRequest({ uid: '' }), 'missing_uid', /request.uid: required/, undefined],
    ['unknown operation', withRequest({ operation: 'PATCH' }), 'bad_operation', /request.operation: must be one of/, good.request.uid],
    ['object a string', withRequest({ object: 'x' }), 'bad_request_field', /request.object: must be an object or null/, good.request.uid],
    ['kind not GVK', withRequest({ kind: 'MCPServer' }), 'bad_request_field', /request.kind: required/, good.request.uid],
  ])('rejects %s with a message naming the field', (_what, body, code, message, uid) => {
    const err = failure(body);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.uid).toBe(uid);
    expect(err.httpStatus).toBe(400);
  });

  it('property: arbitrary bodies either decode or throw a WebhookError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: v }))), (body) => {
        try {
          const req = decodeAdmissionReview(body);
          expect(typeof req.uid).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(WebhookError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
