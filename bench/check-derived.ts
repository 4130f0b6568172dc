/**
 * Checks the generated derived columns against the domain rules: for a sample of incidents, recomputes status and
 * casualties with src/domain (deriveStatus, deriveCasualties) from their claims and compares. It also compares
 * the lists stored on those incidents (actors, tags, external ids) with the text the app computes from the list
 * tables (listsFromTablesText).
 *
 *   npx tsx bench/check-derived.ts [--sample 2000]
 */
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { deriveCasualties } from '../src/domain/casualties';
import { deriveStatus } from '../src/domain/status';
import { listsFromTablesText } from '../src/modules/incidents/incident-lists';
import { databaseUrl, numberArg } from './common';

async function main() {
  const sample = Math.floor(numberArg('sample', 2000));
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    const { rows: incidents } = await client.query<{
      id: string;
      status: string;
      casualties: unknown;
      killed_best: number | null;
      verification_status: string | null;
    }>(
      `SELECT id, status, casualties, killed_best, verification_status FROM incidents TABLESAMPLE SYSTEM (5)
       LIMIT $1`,
      [sample],
    );
    const { rows: claims } = await client.query(
      `SELECT c.id, c.incident_id, c.stance, c.review_status, c.credibility, c.published_at, c.killed,
         c.killed_civilians, c.killed_combatants, c.injured, c.detained, c.missing, c.source_id,
         s.reliability, s.independence_group
       FROM claims c JOIN sources s ON s.id = c.source_id
       WHERE c.incident_id = ANY($1) AND c.deleted_at IS NULL`,
      [incidents.map((i) => i.id)],
    );
    let bad = 0;
    for (const incident of incidents) {
      const live = claims
        .filter((c) => c.incident_id === incident.id)
        .map((c) => ({
          id: c.id,
          stance: c.stance,
          reviewStatus: c.review_status,
          reliability: c.reliability,
          credibility: c.credibility,
          publishedAt: c.published_at,
          sourceId: c.source_id,
          independenceGroup: c.independence_group,
          figures: {
            killed: c.killed,
            killed_civilians: c.killed_civilians,
            killed_combatants: c.killed_combatants,
            injured: c.injured,
            detained: c.detained,
            missing: c.missing,
          },
        }));
      const casualties = deriveCasualties(live);
      const status = incident.verification_status ?? deriveStatus(live);
      const killedBest = casualties.killed?.best ?? null;
      if (
        status !== incident.status ||
        !isDeepStrictEqual(casualties, incident.casualties) ||
        killedBest !== incident.killed_best
      ) {
        bad++;
        if (bad <= 3) {
          console.log('mismatch', incident.id, { status, stored: incident.status, killedBest });
          console.log(' derived', JSON.stringify(casualties));
          console.log(' stored ', JSON.stringify(incident.casualties));
        }
      }
    }
    console.log(`${incidents.length} incidents checked, ${claims.length} claims, ${bad} mismatches`);

    const lists = listsFromTablesText('i.id');
    const { rows: listRows } = await client.query<{ id: string }>(
      `SELECT i.id FROM incidents i WHERE i.id = ANY($1)
         AND (i.actors::text IS DISTINCT FROM (${lists.actors})::text
           OR i.tags::text IS DISTINCT FROM (${lists.tags})::text
           OR i.external_ids::text IS DISTINCT FROM (${lists.externalIds})::text)`,
      [incidents.map((i) => i.id)],
    );
    for (const r of listRows.slice(0, 3)) console.log('lists mismatch', r.id);
    console.log(`${incidents.length} incidents' stored lists checked, ${listRows.length} mismatches`);
    if (bad || listRows.length) process.exitCode = 1;
  } finally {
    await client.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
