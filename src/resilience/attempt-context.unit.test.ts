import { expect, it } from 'vitest';
import { AttemptContext } from './attempt-context.js';
import { Deadline } from './deadline.js';

const attempt = () => new AttemptContext(1, Deadline.after(1_000));

it('calls each abort listener once, with the reason, and one added later at once', () => {
  const context = attempt();
  const heard: string[] = [];
  context.onAbort((reason) => heard.push(`first ${reason.message}`));
  context.abort(new Error('timed out'));
  context.abort(new Error('again'));
  context.onAbort((reason) => heard.push(`late ${reason.message}`));
  expect(heard).toEqual(['first timed out', 'late timed out']);
  expect(context.aborted).toBe(true);
});

it('gives a signal that follows the abort, whether it was asked for before or after', () => {
  const before = attempt();
  const early = before.signal;
  expect(early.aborted).toBe(false);
  before.abort(new Error('cut'));
  expect(early.aborted).toBe(true);
  expect((early.reason as Error).message).toBe('cut');

  const after = attempt();
  after.abort(new Error('cut'));
  expect(after.signal.aborted).toBe(true);
  expect(after.signal).toBe(after.signal);
});
