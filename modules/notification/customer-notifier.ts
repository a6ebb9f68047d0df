import type { Knex } from 'knex';
import type { Logger } from '../../src/observability/logger.js';
import type { DeliveryStatus } from './contract.js';
import { deliveriesFor, type Recipient } from './domain/delivery-plan.js';
import { contentFor, type MessageContent } from './domain/message-content.js';
import type { NotificationChannels } from './channels/notification-channels.js';
import type { NotificationDispatcher } from './notification-dispatcher.js';
import type { NotificationLog } from './notification-log.js';
import type { Recipients } from './recipients.js';

export interface Notice {
  /** the event this notice answers: with the channel, the key that keeps it to one message */
  eventId: string;
  userId: string;
  template: string;
  compose(recipient: Recipient): MessageContent;
}

/**
 * Tells a customer something on every channel they allow: records the messages in the
 * handler's transaction and hands them to the dispatcher, which sends them after commit.
 */
export class CustomerNotifier {
  private readonly recipients: Recipients;
  private readonly notifications: NotificationLog;
  private readonly dispatcher: NotificationDispatcher;
  private readonly channels: NotificationChannels;

  constructor(deps: { recipients: Recipients; notificationLog: NotificationLog; notificationDispatcher: NotificationDispatcher; notificationChannels: NotificationChannels }) {
    this.recipients = deps.recipients;
    this.notifications = deps.notificationLog;
    this.dispatcher = deps.notificationDispatcher;
    this.channels = deps.notificationChannels;
  }

  /** Returns how many messages were recorded: none for a redelivered event or an unknown customer. */
  async notify(trx: Knex.Transaction, notice: Notice, log: Logger): Promise<number> {
    // Usually composed from the copy read last time, and recorded only if the row is still that version.
    const known = this.recipients.lastRead(notice.userId);
    const fromCopy = known ? await this.record(trx, notice, known.recipient, known.version) : undefined;
    if (fromCopy) return this.dispatch(trx, fromCopy);
    const recipient = await this.recipients.find(trx, notice.userId);
    if (!recipient) {
      // Nobody to write to: events carry no address, and asking the user module would couple us to it.
      // Customers from before this copy existed become known at their next profile change.
      log.debug({ userId: notice.userId, template: notice.template }, 'no notification: recipient unknown to this module');
      this.dispatcher.dispatchAfterCommit(trx, []);
      return 0;
    }
    return this.dispatch(trx, (await this.record(trx, notice, recipient))!);
  }

  /**
   * Composes and records the notice for `recipient`; with the `version` of a remembered copy,
   * undefined when the row has moved on (or when the copy allows no channel at all, which only
   * the row itself may say).
   */
  private async record(trx: Knex.Transaction, notice: Notice, recipient: Recipient, version?: number): Promise<{ id: string; status: DeliveryStatus }[] | undefined> {
    const deliveries = deliveriesFor(recipient);
    if (deliveries.length === 0) return version === undefined ? [] : undefined;
    const content = notice.compose(recipient);
    const messages = deliveries.map(({ channel, address }) => ({
      userId: recipient.userId, channel, recipient: address, template: notice.template, eventId: notice.eventId,
      ...contentFor(channel, content),
    }));
    return this.notifications.record(trx, messages, (channel) => this.channels.captures(channel), version === undefined ? undefined : { userId: recipient.userId, version });
  }

  private dispatch(trx: Knex.Transaction, recorded: readonly { id: string; status: DeliveryStatus }[]): number {
    this.dispatcher.dispatchAfterCommit(trx, recorded.filter((message) => message.status === 'pending').map((message) => message.id));
    return recorded.length;
  }
}
