/** The words of the welcome message; pure, so the template is testable without a database. */
export function welcomeMessage(recipient: { firstName: string | null }): { subject: string; body: string } {
  const name = recipient.firstName?.trim() || 'there';
  return {
    subject: 'Welcome to the shop',
    body: `Hello ${name},\n\nyour account is ready. Happy shopping!\n`,
  };
}
