import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

/**
 * Random bytes drawn 4 KiB at a time. uuid's own v7 asks WebCrypto for 16 bytes per id,
 * about 2.5 µs each here, and ids are made on every write path (events, sagas, rows): a
 * pool makes that one draw per 256 ids, as Node's `randomUUID` does.
 */
const pool = new Uint8Array(4_096);
let cursor = pool.length;

function randomBytes16(): Uint8Array {
  if (cursor + 16 > pool.length) {
    randomFillSync(pool);
    cursor = 0;
  }
  const bytes = pool.subarray(cursor, cursor + 16);
  cursor += 16;
  return bytes;
}

let lastMs = -Infinity;
let sequence = 0;

/**
 * A new UUIDv7 (RFC 9562): time-ordered, so rows inserted together sit together in a
 * B-tree. Within one millisecond a counter follows (starting at a random value), so the ids
 * of this process only ever grow, exactly as uuid's own `v7()` makes them.
 * @example const orderId = newId() // '019ae2c4-5f1a-7c3e-9b2d-…'
 */
export function newId(): string {
  const random = randomBytes16();
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    sequence = (sequence + 1) | 0;
    // The counter wrapped: borrow the next millisecond rather than repeat an id.
    if (sequence === 0) lastMs += 1;
  }
  return v7({ random, msecs: lastMs, seq: sequence });
}
