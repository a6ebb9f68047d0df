import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../src/testing/eventually.js';
import { startTestPlatform, type TestPlatform } from '../../src/testing/test-platform.js';
import { allModules } from '../registry.js';
import type { SentNotification } from './contract.js';
import type { NotificationServices } from './notification-services.js';

/** A real SMTP server in the test process: keeps every message it accepts, refuses on demand. */
class MailSink {
  readonly received: { to: string[]; raw: string }[] = [];
  /** answer 451 (try again later) to every recipient, as a mail server under maintenance does */
  busy = false;
  port = 0;
  private readonly server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onRcptTo: (address, _session, callback) => {
      // An address that never existed: refused for good.
      if (address.address.startsWith('nobody-')) return callback(refusal('mailbox unavailable', 550));
      if (this.busy) return callback(refusal('try again later', 451));
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        this.received.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => {
      const net = this.server.listen(0, '127.0.0.1', () => {
        this.port = (net.address() as AddressInfo).port;
        resolve();
      });
    });
    return this;
  }

  to(address: string): { raw: string }[] {
    return this.received.filter((mail) => mail.to.includes(address));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const refusal = (message: string, responseCode: number) => Object.assign(new Error(message), { responseCode });

let sink: MailSink;
let t: TestPlatform;

beforeAll(async () => {
  sink = await new MailSink().start();
  t = await startTestPlatform(allModules, { env: { SMTP_URL: `smtp://127.0.0.1:${sink.port}` } });
});
afterAll(async () => {
  await t?.close();
  await sink?.close();
});

const dispatcher = () => t.platform.modules.find((m) => m.definition.name === 'notification')!
  .container.resolve<NotificationServices['notificationDispatcher']>('notificationDispatcher');

async function registerCustomer(prefix: string): Promise<{ email: string; token: string }> {
  const email = `${prefix}-${Date.now()}@example.com`;
  const password = 'correct horse battery';
  await t.http.post('/api/v1/auth/register', { body: { email, password, firstName: 'Grace' } });
  const login = await t.http.post('/api/v1/auth/login', { body: { email, password } });
  return { email, token: login.body.accessToken as string };
}

async function notificationsOf(token: string): Promise<SentNotification[]> {
  const res = await t.http.get<{ items: SentNotification[] }>('/api/v1/notifications', { token });
  return res.body.items;
}

describe('email goes out over SMTP', () => {
  it('delivers the welcome email to the new customer once, and shows it as sent', async () => {
    const { email, token } = await registerCustomer('smtp');

    const [sent] = await eventually(async () => {
      const items = await notificationsOf(token);
      expect(items).toMatchObject([{ channel: 'email', recipient: email, template: 'welcome', status: 'sent' }]);
      return items;
    });
    await dispatcher().settled();

    const mails = sink.to(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.raw).toMatch(new RegExp(`^To: ${email.replace(/[.+]/g, '\\$&')}\\r?$`, 'mi'));
    expect(mails[0]!.raw).toMatch(/^From: Commerce <no-reply@commerce\.local>\r?$/mi);
    expect(mails[0]!.raw).toMatch(/^Subject: Welcome to the shop\r?$/mi);
    // The id the customer sees is in the Message-ID: a resend of the same message is recognisable.
    expect(mails[0]!.raw).toMatch(new RegExp(`^Message-ID: <${sent!.id}@commerce\\.local>\\r?$`, 'mi'));
    expect(sent!.sentAt).not.toBeNull();
  });

  it('keeps a message pending while the mail server refuses it, and sends it once the server accepts again', async () => {
    sink.busy = true;
    const { email, token } = await registerCustomer('busy');
    const { db } = t.platform.modules.find((m) => m.definition.name === 'notification')!.container.cradle;

    // Given a first attempt the server turned away
    await eventually(async () => {
      const row = await db('notifications').where({ recipient: email }).first('status', 'attempts', 'last_error');
      expect(row).toMatchObject({ status: 'pending', attempts: expect.any(Number) });
      expect(row.attempts).toBeGreaterThanOrEqual(1);
      expect(row.last_error).toMatch(/451/);
    });
    expect((await notificationsOf(token))[0]).toMatchObject({ status: 'pending', sentAt: null });
    expect(sink.to(email)).toHaveLength(0);

    // When the server is back, the retry delivers it: once
    sink.busy = false;
    await eventually(async () => expect((await notificationsOf(token))[0]).toMatchObject({ status: 'sent' }), 15_000);
    await dispatcher().settled();
    expect(sink.to(email)).toHaveLength(1);
  });

  it('gives up at once on a mailbox the server refuses for good', async () => {
    const { email, token } = await registerCustomer('nobody');
    await eventually(async () => expect((await notificationsOf(token))[0]).toMatchObject({ recipient: email, status: 'failed', sentAt: null }));
    expect(sink.to(email)).toHaveLength(0);
  });
});
