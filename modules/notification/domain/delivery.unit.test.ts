import { describe, expect, it } from 'vitest';
import { deliveriesFor, type Recipient } from './delivery-plan.js';
import { afterFailedAttempt, RETRY_SCHEDULE } from './retry-schedule.js';

const ada: Recipient = {
  userId: 'u-1', email: 'ada@example.com', firstName: 'Ada', phone: null, preferences: { email: true, sms: false, push: false },
};

describe('which channels a message goes to', () => {
  it('follows the customer’s preferences, one delivery per channel', () => {
    expect(deliveriesFor(ada)).toEqual([{ channel: 'email', address: 'ada@example.com' }]);
    expect(deliveriesFor({ ...ada, phone: '+4915112345678', preferences: { email: false, sms: true, push: true } }))
      .toEqual([{ channel: 'sms', address: '+4915112345678' }, { channel: 'push', address: 'u-1' }]);
  });

  it('sends no SMS to a customer without a phone number, even when they asked for SMS', () => {
    expect(deliveriesFor({ ...ada, preferences: { email: false, sms: true, push: false } })).toEqual([]);
  });
});

describe('retrying a failed delivery', () => {
  it('backs off by doubling, up to a ceiling, then gives up', () => {
    expect(afterFailedAttempt(1, false)).toEqual({ retryInMs: 1_000 });
    expect(afterFailedAttempt(2, false)).toEqual({ retryInMs: 2_000 });
    expect(afterFailedAttempt(12, false)).toEqual({ retryInMs: RETRY_SCHEDULE.maxDelayMs });
    expect(afterFailedAttempt(RETRY_SCHEDULE.maxAttempts, false)).toEqual({ giveUp: true });
  });

  it('gives up at once on a permanent refusal', () => {
    expect(afterFailedAttempt(1, true)).toEqual({ giveUp: true });
  });
});
