import { z } from 'zod';
import { InvalidCursor } from './product-problems.js';

/**
 * Where a page ended: keyset pagination resumes after (rank, id) for a text search and
 * after (name, id) otherwise, so pages neither skip nor repeat rows however deep they go.
 */
export const SearchCursor = z.discriminatedUnion('by', [
  z.strictObject({ by: z.literal('rank'), rank: z.number().nonnegative(), id: z.uuid() }),
  z.strictObject({ by: z.literal('name'), name: z.string().max(200), id: z.uuid() }),
]);
export type SearchCursor = z.infer<typeof SearchCursor>;

/** Opaque to clients: base64url JSON, so its layout can change without an API change. */
export function encodeCursor(cursor: SearchCursor): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/**
 * Reads a cursor a client sent back; anything else (tampered, or from a search of the other kind) is a 400.
 * @example decodeCursor(page.nextCursor, 'rank')
 */
export function decodeCursor(text: string, by: SearchCursor['by']): SearchCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw InvalidCursor('The cursor is not one this API handed out; start again without it');
  }
  const cursor = SearchCursor.safeParse(parsed);
  if (!cursor.success) throw InvalidCursor('The cursor is not one this API handed out; start again without it');
  if (cursor.data.by !== by) throw InvalidCursor(by === 'rank' ? 'This cursor belongs to a listing without q' : 'This cursor belongs to a search with q');
  return cursor.data;
}
