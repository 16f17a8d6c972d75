import type { Sql } from "../sync/change-log.repository.ts";
import * as bookingRollup from "./booking-rollup.repository.ts";
import * as resourceRollup from "./resource-rollup.repository.ts";

/**
 * Runs `write`, which places the given spaces in another commune or fabrique territory, and
 * moves what their resources and those resources' bookings count for in the rollups keyed by
 * the host's territory (resource_rollup, booking_rollup) along, in the caller's transaction.
 */
export async function moveSpaces<T>(
  sql: Sql,
  spaceIds: string[],
  write: () => Promise<T>,
): Promise<T> {
  if (spaceIds.length === 0) return write();
  const resourcesBefore = await resourceRollup.contributionsOfSpaces(sql, spaceIds);
  const bookingsBefore = await bookingRollup.contributionsOfSpaces(sql, spaceIds);
  const result = await write();
  // Booking rows first, then resource rows, as a RESOURCE push writes them: two transactions
  // never wait for each other's rows in opposite orders.
  await bookingRollup.addContributionDeltas(
    sql,
    bookingsBefore,
    await bookingRollup.contributionsOfSpaces(sql, spaceIds),
  );
  await resourceRollup.addResourceDeltas(
    sql,
    resourcesBefore,
    await resourceRollup.contributionsOfSpaces(sql, spaceIds),
  );
  return result;
}
