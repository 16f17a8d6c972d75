import {
  ChangeEvent,
  type ChangeOp,
  ENTITY_PAYLOADS,
  type EntityName,
  SCHEMA_VERSION,
} from "@maillage/schema";
import type { SqlSession, SqlStore } from "@maillage/storage";
import { monotonicFactory } from "ulid";
import { outboxRepository } from "./outbox.repository.ts";

/** A change to a record this node owns, as a service states it. */
export type LocalChange = {
  entity: EntityName;
  entityId: string;
  op: ChangeOp;
  /** The record's replicated state after the change (UPSERT), null for DELETE. */
  payload: unknown;
};

export type ChangeLog = {
  /**
   * Appends the change's event to the outbox, in the caller's transaction. The payload is
   * parsed with the contract's schema first (strict: a personal field makes it throw), so an
   * event that could not travel is never written, and neither is the change it describes.
   */
  append(change: LocalChange): Promise<ChangeEvent>;
};

export type LocalWriter = {
  /** Runs `fn` in one transaction with the outbox: the change and its events, or nothing. */
  write<T>(fn: (tx: SqlSession, changes: ChangeLog) => Promise<T>): Promise<T>;
};

/**
 * Every local write goes through here: one transaction holding the local-write lock, the
 * records changed, their events appended with seq = max + 1, then `onCommitted` (which wakes
 * the push loop) once the transaction has committed.
 */
export function createLocalWriter(deps: {
  store: SqlStore;
  nodeId: string;
  onCommitted?: (() => void) | undefined;
}): LocalWriter {
  const newId = monotonicFactory();
  return {
    async write(fn) {
      let appended = 0;
      const result = await deps.store.transaction(async (tx) => {
        await outboxRepository.lockLocalWrites(tx);
        // Read once per transaction: the lock keeps every other writer out until it ends.
        let nextSeq: number | undefined;
        return fn(tx, {
          async append(change) {
            const payload =
              change.op === "DELETE" ? null : ENTITY_PAYLOADS[change.entity].parse(change.payload);
            const occurredAt = new Date();
            nextSeq ??= await outboxRepository.nextSeq(tx);
            const event = ChangeEvent.parse({
              id: newId(occurredAt.getTime()),
              nodeId: deps.nodeId,
              seq: nextSeq,
              entity: change.entity,
              entityId: change.entityId,
              op: change.op,
              payload,
              occurredAt: occurredAt.toISOString(),
              schemaVersion: SCHEMA_VERSION,
            });
            await outboxRepository.supersedeRefused(tx, { ...change, payload, occurredAt });
            await outboxRepository.append(tx, { ...event, occurredAt });
            nextSeq += 1;
            appended += 1;
            return event;
          },
        });
      });
      if (appended > 0) deps.onCommitted?.();
      return result;
    },
  };
}
