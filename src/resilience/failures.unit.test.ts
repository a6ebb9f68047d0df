import { describe, expect, it } from 'vitest';
import { Problem } from '../http/problem.js';
import { countsAgainstCircuit, failureSummary, isRetryableFailure, isUpstreamAnswer, neverReached, UPSTREAM_TIMEOUT_CODE, UpstreamFailure } from './failures.js';

const withCode = (code: string) => Object.assign(new Error(`failed: ${code}`), { code });
const status = (value: number) => new UpstreamFailure(`answered ${value}`, { status: value });

describe('failure classification', () => {
  it.each([
    ['connection refused', withCode('ECONNREFUSED')],
    ['connection reset', withCode('ECONNRESET')],
    ['undici socket closed', withCode('UND_ERR_SOCKET')],
    ['undici connect timeout', withCode('UND_ERR_CONNECT_TIMEOUT')],
    ['fetch failed, refused underneath', new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') })],
    ['happy eyeballs gave up on every address', Object.assign(new AggregateError([withCode('ECONNREFUSED')]), {})],
    ['502', status(502)], ['503', status(503)], ['504', status(504)],
    ['a 503 problem answered by another module', new Problem({ status: 503, code: 'service-unavailable', title: 'Unavailable' })],
    ['our own timeout', new UpstreamFailure('slow', { code: UPSTREAM_TIMEOUT_CODE })],
  ])('retries and counts against the circuit: %s', (_, error) => {
    expect(isRetryableFailure(error)).toBe(true);
    expect(countsAgainstCircuit(error)).toBe(true);
    expect(isUpstreamAnswer(error)).toBe(false);
  });

  it.each([400, 401, 404, 409, 422, 429])('neither retries nor counts a %i: the dependency answered', (value) => {
    expect(isRetryableFailure(status(value))).toBe(false);
    expect(countsAgainstCircuit(status(value))).toBe(false);
    expect(isUpstreamAnswer(status(value))).toBe(true);
  });

  it('counts a 500 against the circuit without retrying it', () => {
    expect(isRetryableFailure(status(500))).toBe(false);
    expect(countsAgainstCircuit(status(500))).toBe(true);
  });

  it('neither retries nor counts a passed deadline, a bug of ours, or a cancellation', () => {
    for (const error of [
      new Problem({ status: 504, code: 'deadline-exceeded', title: 'Deadline' }),
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      new DOMException('This operation was aborted', 'AbortError'),
    ]) {
      expect(isRetryableFailure(error)).toBe(false);
      expect(countsAgainstCircuit(error)).toBe(false);
    }
  });

  it('tells a connection that was never made (nothing sent) from one that broke after the request may have left', () => {
    for (const error of [withCode('ECONNREFUSED'), withCode('UND_ERR_CONNECT_TIMEOUT'), new TypeError('fetch failed', { cause: new AggregateError([withCode('ECONNREFUSED')]) })]) {
      expect(neverReached(error)).toBe(true);
    }
    for (const error of [withCode('ECONNRESET'), withCode('UND_ERR_SOCKET'), withCode('EPIPE'), status(503), new UpstreamFailure('slow', { code: UPSTREAM_TIMEOUT_CODE })]) {
      expect(neverReached(error)).toBe(false);
    }
  });

  it('summarises a failure for a log line by code and status only', () => {
    expect(failureSummary(new UpstreamFailure('GET /users/7?token=secret answered 503', { status: 503 }))).toEqual({ code: 'http-503', status: 503 });
    expect(failureSummary(withCode('ECONNRESET'))).toEqual({ code: 'ECONNRESET' });
  });
});
