/**
 * Wraps a name in a Redis Cluster hash tag: a cluster places a key by the part between its
 * first `{` and `}` alone, so every key that carries the same tag lands in one slot.
 *
 * Queue names are tagged this way (`{order-events}`, `{order-sagas}`). BullMQ's Lua scripts
 * touch several keys of a queue at once (wait, active, the job hash, its events stream …),
 * which a cluster only allows within one slot; the keys are `<REDIS_PREFIX>:bull:<queue>:…`,
 * so a tagged name keeps a queue together. BullMQ's guide (docs.bullmq.io, "Redis Cluster")
 * offers a tagged prefix or a tagged queue name, and asks for a different tag per queue so
 * queues spread over the masters; one tagged prefix for all would put every queue on one
 * slot, hence on one master. Nothing of ours spans two queues (no flows), so per-queue tags
 * cost nothing. The same names are used on a single server, so the key layout does not
 * depend on where Redis runs.
 * @example hashTagged('order-events') // '{order-events}'
 */
export function hashTagged(name: string): string {
  return `{${name}}`;
}
