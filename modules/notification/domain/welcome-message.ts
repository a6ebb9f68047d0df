import { greetingName, type MessageContent } from './message-content.js';

/** The words of the welcome message; pure, so the template is testable without a database. */
export function welcomeMessage(recipient: { firstName: string | null }): MessageContent {
  const name = greetingName(recipient.firstName);
  return {
    subject: 'Welcome to the shop',
    body: `Hello ${name},\n\nyour account is ready. Happy shopping!\n`,
    short: `Welcome to the shop, ${name}! Your account is ready.`,
  };
}
