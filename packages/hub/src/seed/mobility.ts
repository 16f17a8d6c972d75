import type { SqlSession } from "@maillage/storage";
import { FLOWS_SQL } from "../modules/mobility/mobility-rollup.repository.ts";

/**
 * The seed's member mobility (issue 11), written by set-based SQL in the seed's transaction
 * (a few statements, whatever the scale): passes, visits away from home, and their presence
 * rows and monthly rollup by GROUP BY — the rows applying the visits one by one would give.
 *
 * Each network with a node has TRAVELLERS_PER_SPACE travelling members per space (pseudonymous
 * ids only, homed at one of its spaces, each with a pass from its home node) making 1 to
 * 2 × VISITS_PER_TRAVELLER − 1 visits over the period, more of them recently (mobility grows:
 * a visit's day is the period's length × √u). Flows follow neighbourhood: a member mostly
 * returns to a favourite place, and a visit goes to another place of its own territory (40 %),
 * a territory of the same department (30 %), of the same region (25 %), or anywhere (5 %).
 * Pseudo-random numbers are integer hashes of the member's and visit's numbers and the seed,
 * so the same seed writes the same visits.
 */

const TRAVELLERS_PER_SPACE = 40;
const VISITS_PER_TRAVELLER = 16;

/** `h(x, salt)`: a 31-bit hash of an integer expression (multiplicative, then xor-shifted). */
const h = (x: string, salt: number) =>
  `((((${x}) * 1103515245 + ${salt * 40503 + 12345}) % 2147483647) # ((((${x}) * 40503 + ${salt}) % 2147483647) >> 7))`;

export async function insertMobility(
  sql: SqlSession,
  { from, days, seed }: { from: string; days: number; seed: number },
): Promise<{ visits: number; travellers: number }> {
  await sql.exec(`
    CREATE TEMP TABLE seed_net ON COMMIT DROP AS
      SELECT f.id, f.department_code AS dep, f.region_code AS reg, n.id AS node_id,
             row_number() OVER (ORDER BY f.id)::int AS k,
             (SELECT array_agg(s.id ORDER BY s.id) FROM space s
              WHERE s.id = f.id OR s.fabrique_id = f.id) AS spaces
      FROM space f JOIN node n ON n.fabrique_id = f.id AND n.status = 'ACTIVE'
      WHERE f.kind = 'FABRIQUE';
    CREATE TEMP TABLE seed_traveller ON COMMIT DROP AS
      SELECT (t.k * 100000 + t.i)::bigint AS g, t.id AS net, t.dep, t.reg, t.node_id,
             t.spaces[1 + (t.i % cardinality(t.spaces))] AS home_space,
             upper(substr(md5('member:${seed}:' || t.id || ':' || t.i), 1, 26)) AS member_id
      FROM (SELECT seed_net.*, i FROM seed_net,
            generate_series(1, ${TRAVELLERS_PER_SPACE} * cardinality(seed_net.spaces)) AS i) t;
  `);
  // Networks by department and region, to pick neighbours from.
  await sql.exec(`
    CREATE TEMP TABLE seed_near ON COMMIT DROP AS
      SELECT 'D' || dep AS area, array_agg(id ORDER BY id) AS nets FROM seed_net GROUP BY dep
      UNION ALL
      SELECT 'R' || reg, array_agg(id ORDER BY id) FROM seed_net GROUP BY reg
      UNION ALL
      SELECT 'ALL', array_agg(id ORDER BY id) FROM seed_net;
  `);
  await sql.exec(`
    INSERT INTO pass (id, owner_node_id, home_space_id, valid_from, valid_until, status,
                      revocation_reason, updated_at)
    SELECT 'P' || substr(member_id, 2), node_id, home_space,
           '${from}'::timestamp, '${from}'::timestamp + interval '${days + 365} days', 'ACTIVE',
           NULL, '${from}'::timestamp
    FROM seed_traveller;
  `);
  // A bulk load builds its indexes once, after the rows, rather than row by row (random ids):
  // dropped and made again, the same, inside the seed's transaction.
  await sql.exec(`
    ALTER TABLE visit DROP CONSTRAINT visit_pkey;
    DROP INDEX visit_member_id_idx;
    DROP INDEX visit_space_id_day_idx;
    ALTER TABLE mobility_presence DROP CONSTRAINT mobility_presence_pkey;
    DROP INDEX mobility_presence_member_id_idx;
  `);
  await sql.exec(`
    INSERT INTO visit (id, owner_node_id, member_id, pass_id, home_space_id, space_id, day,
                       arrived_at, departed_at, method, home_network_id, home_department,
                       home_region, network_id, department, region, updated_at)
    SELECT upper(substr(md5('visit:${seed}:' || x.g || ':' || x.v), 1, 26)), dn.node_id,
           x.member_id, 'P' || substr(x.member_id, 2), x.home_space,
           CASE WHEN dn.spaces[1 + x.sh % cardinality(dn.spaces)] = x.home_space
                THEN dn.spaces[1 + (x.sh + 1) % cardinality(dn.spaces)]
                ELSE dn.spaces[1 + x.sh % cardinality(dn.spaces)] END,
           x.day, x.day + make_interval(mins => (510 + x.sh % 240)::int),
           x.day + make_interval(mins => (570 + x.sh % 240 + x.sh % 300)::int),
           CASE WHEN x.sh % 100 < 85 THEN 'PASS' ELSE 'SHORT_CODE' END,
           x.net, x.dep, x.reg, dn.id, dn.dep, dn.reg,
           x.day + interval '18 hours'
    FROM (
      SELECT t.*, v, ${h("t.g * 64 + v", seed + 3)} AS sh,
             ('${from}'::date + floor(${days} * sqrt((${h("t.g * 64 + v", seed + 4)} % 1000000) / 1000000.0))::int)::timestamp AS day,
             -- The destination: the member's favourite (70 %) or this visit's own pick.
             CASE WHEN ${h("t.g", seed + 5)} % 100 < 70 THEN ${h("t.g", seed + 6)}
                  ELSE ${h("t.g * 64 + v", seed + 6)} END AS pick
      FROM seed_traveller t,
           generate_series(1, 1 + ${h("t.g", seed + 2)} % (2 * ${VISITS_PER_TRAVELLER} - 1)) AS v
    ) x
    JOIN seed_near nd ON nd.area = CASE WHEN x.pick % 100 BETWEEN 40 AND 69 THEN 'D' || x.dep
                                        WHEN x.pick % 100 BETWEEN 70 AND 94 THEN 'R' || x.reg
                                        ELSE 'ALL' END
    JOIN seed_net dn ON dn.id = CASE WHEN x.pick % 100 < 40 THEN x.net
                                     ELSE nd.nets[1 + (x.pick / 100) % cardinality(nd.nets)] END
    WHERE x.day < '${from}'::date + ${days};
  `);
  await sql.exec(`
    ALTER TABLE visit ADD CONSTRAINT visit_pkey PRIMARY KEY (id);
    CREATE INDEX visit_member_id_idx ON visit (member_id);
    CREATE INDEX visit_space_id_day_idx ON visit (space_id, day);
  `);
  // Presence rows and the monthly rollup by GROUP BY (mobility-rollup.repository.ts).
  await sql.exec(`
    INSERT INTO mobility_presence (month, member_id, origin_network_id, dest_network_id,
                                   origin_department, origin_region, dest_department,
                                   dest_region, visits)
    SELECT date_trunc('month', day)::date, member_id, home_network_id, network_id,
           home_department, home_region, department, region, count(*)::int
    FROM visit WHERE space_id <> home_space_id AND member_id IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;
    INSERT INTO mobility_rollup (month, origin_level, origin_id, dest_level, dest_id, visits,
                                 members)
    SELECT x.month, k.origin_level, k.origin_id, k.dest_level, k.dest_id, sum(x.visits)::int,
           count(DISTINCT x.member_id)::int
    FROM (SELECT month, member_id, origin_network_id AS o, dest_network_id AS d,
                 origin_department AS od, origin_region AS "or", dest_department AS dd,
                 dest_region AS dr, visits FROM mobility_presence) x
    CROSS JOIN LATERAL ${FLOWS_SQL}
    GROUP BY 1, 2, 3, 4, 5;
    ALTER TABLE mobility_presence ADD CONSTRAINT mobility_presence_pkey
      PRIMARY KEY (month, member_id, origin_network_id, dest_network_id);
    CREATE INDEX mobility_presence_member_id_idx ON mobility_presence (member_id);
  `);
  const [counts] = await sql.query<{ visits: number; travellers: number }>(
    "SELECT (SELECT count(*) FROM visit)::int AS visits, (SELECT count(*) FROM seed_traveller)::int AS travellers",
  );
  return counts ?? { visits: 0, travellers: 0 };
}
