/**
 * A Message-ID made from the notification's id, so a message sent twice (a transport that
 * accepted it but whose acknowledgement was lost) carries the same id and is recognisable
 * as one message by receiving servers and by people. The domain is the sender's own.
 * @example messageIdFor('0192…', 'Shop <no-reply@shop.example>') // → '<0192…@shop.example>'
 */
export function messageIdFor(notificationId: string, mailFrom: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(mailFrom)?.[1] ?? 'commerce.local';
  return `<${notificationId}@${domain}>`;
}
