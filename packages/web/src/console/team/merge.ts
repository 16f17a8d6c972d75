/**
 * Merges a record brought by a live event into a list: replaced in place when its id is there,
 * else added, the list kept in `createdAt` order (booking requests, oldest first).
 */
export function upsertById<T extends { id: string; createdAt: string }>(
  list: readonly T[],
  next: T,
): T[] {
  const at = list.findIndex((r) => r.id === next.id);
  if (at >= 0) return list.map((r, i) => (i === at ? next : r));
  return [...list, next].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}
