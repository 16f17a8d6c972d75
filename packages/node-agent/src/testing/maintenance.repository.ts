import type { SqlSession } from "@maillage/storage";

/** Whole-store operations (tests empty the store between cases of one file). */
export const maintenanceRepository = {
  async truncateAll(db: SqlSession): Promise<void> {
    await db.exec(
      `TRUNCATE space, member, outbox, activity_report, activity_request, booking, resource,
        booking_replica, booking_request, credential, calendar_feed, training, enrolment,
        credential_status, status_list, node_key, tariff, member_erasure, pass, visit,
        visit_disclosure`,
    );
    await db.exec(
      `UPDATE sync_state SET pull_cursor = '0', last_push_at = NULL, last_pull_at = NULL,
         last_error = NULL, last_error_at = NULL, hub_reachable = NULL`,
    );
  },
};
