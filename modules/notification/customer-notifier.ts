import type { Knex } from 'knex';
import type { Logger } from '../../src/observability/logger.js';
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
    const recipient = await this.recipients.find(trx, notice.userId);
    if (!recipient) {
      // Nobody to write to: events carry no address, and asking the user module would couple us to it.
      // Customers from before this copy existed become known at their next profile change.
      log.debug({ userId: notice.userId, template: notice.template }, 'no notification: recipient unknown to this module');
      this.dispatcher.dispatchAfterCommit(trx, []);
      return 0;
    }
    const content = notice.compose(recipient);
    const messages = deliveriesFor(recipient).map(({ channel, address }) => ({
      userId: recipient.userId, channel, recipient: address, template: notice.template, eventId: notice.eventId,
      ...contentFor(channel, content),
    }));
    const recorded = await this.notifications.record(trx, messages, (channel) => this.channels.captures(channel));
    this.dispatcher.dispatchAfterCommit(trx, recorded.filter((message) => message.status === 'pending').map((message) => message.id));
    return recorded.length;
  }
}
