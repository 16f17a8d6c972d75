import { MaillageError } from "@maillage/schema";

/**
 * Forward-only keyset pages (first/after), as the discovery connections (resources, trainings)
 * serve them: an opaque cursor is the row's sort key as a base64url JSON array; a cursor that
 * does not decode to the connection's key is refused with BAD_USER_INPUT on `after`.
 */

export function badInput(field: string, message: string): MaillageError {
  return new MaillageError("BAD_USER_INPUT", `${field}: ${message}`, { field });
}

export function encodeKeyCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** The key in `cursor`, if `read` recognises it; else BAD_USER_INPUT on `after`. */
export function decodeKeyCursor<T>(cursor: string, read: (key: unknown[]) => T | undefined): T {
  try {
    const key = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const value = Array.isArray(key) ? read(key) : undefined;
    if (value !== undefined) return value;
  } catch {
    // reported below
  }
  throw badInput("after", "not a cursor of this connection");
}

export type ForwardPage<Row, Count> = {
  edges: { cursor: string; node: Row }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: Count;
};

/** Refuses last/before: these connections page forward only. */
export function refuseBackward(args: { last?: unknown; before?: unknown }): void {
  if (args.last != null || args.before != null) {
    throw new MaillageError("BAD_USER_INPUT", "last/before: only forward pages (first/after)", {
      field: args.last != null ? "last" : "before",
    });
  }
}

/** The connection of one page of rows. */
export function forwardPage<Row, Count>(
  page: { rows: Row[]; hasNextPage: boolean; totalCount: Count },
  cursorOf: (row: Row) => string,
): ForwardPage<Row, Count> {
  const edges = page.rows.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: page.totalCount,
  };
}
