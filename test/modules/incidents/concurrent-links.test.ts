import { sql } from 'drizzle-orm';
import { queryRows } from '../../../src/db/client';
import { createTestApp, type TestApp } from '../../helpers/app';
import { serverUrl } from '../../helpers/database';
import { claimBody, createIncident, createSource, incidentBody } from '../../helpers/factories';

/**
 * Checks that read other rows before a write (a parent link, a parent's or source's liveness) are atomic with the
 * write: pairs of conflicting requests sent together never leave a cycle, a child of a deleted incident, or a live
 * claim of a deleted source or incident. PGlite runs one transaction at a time, so these run on the server.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const onServer = serverUrl ? test : test.skip;
const PAIRS = 50;

const statuses = (responses: { status: number }[]) => responses.map((r) => r.status);

/** Incidents that are their own ancestor. */
async function cycles(): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    t.database.db,
    sql`WITH RECURSIVE walk(start, id, depth) AS (
          SELECT id, parent_id, 1 FROM incidents WHERE parent_id IS NOT NULL
          UNION ALL
          SELECT w.start, i.parent_id, w.depth + 1 FROM walk w JOIN incidents i ON i.id = w.id
          WHERE i.parent_id IS NOT NULL AND w.id <> w.start AND w.depth < 100)
        SELECT DISTINCT start AS id FROM walk WHERE id = start`,
  );
  return rows.map((r) => r.id);
}

describe('concurrent edits of how incidents nest', () => {
  onServer(
    `${PAIRS} pairs of opposite parent links sent together: one wins, none makes a cycle`,
    async () => {
      const pairs = await Promise.all(
        Array.from({ length: PAIRS }, async (_, i) => [
          await createIncident(t.http, { title: `Battle ${i}` }),
          await createIncident(t.http, { title: `Executions ${i}` }),
        ]),
      );
      const results = await Promise.all(
        pairs.map(([x, y]) =>
          Promise.all([
            t.http.patch(`/v1/incidents/${x.id}`).send({ parent_id: y.id }),
            t.http.patch(`/v1/incidents/${y.id}`).send({ parent_id: x.id }),
          ]),
        ),
      );
      expect(await cycles()).toEqual([]);
      for (const pair of results) expect(statuses(pair).sort()).toEqual([200, 422]);
      const refused = results.flat().filter((r) => r.status === 422);
      expect(refused.every((r) => r.body.errors?.[0]?.message === 'would make a cycle of parents')).toBe(
        true,
      );
    },
  );

  onServer(`${PAIRS / 2} triangles of parent links sent together never close`, async () => {
    const triangles = await Promise.all(
      Array.from({ length: PAIRS / 2 }, async (_, i) =>
        Promise.all([0, 1, 2].map((k) => createIncident(t.http, { title: `Triangle ${i}.${k}` }))),
      ),
    );
    await Promise.all(
      triangles.map(([a, b, c]) =>
        Promise.all([
          t.http.patch(`/v1/incidents/${a.id}`).send({ parent_id: b.id }),
          t.http.patch(`/v1/incidents/${b.id}`).send({ parent_id: c.id }),
          t.http.patch(`/v1/incidents/${c.id}`).send({ parent_id: a.id }),
        ]),
      ),
    );
    expect(await cycles()).toEqual([]);
  });

  onServer(
    `${PAIRS} parents deleted while a child is created under each: never a child of a deleted incident`,
    async () => {
      const parents = await Promise.all(
        Array.from({ length: PAIRS }, (_, i) => createIncident(t.http, { title: `Parent ${i}` })),
      );
      const results = await Promise.all(
        parents.map((p) =>
          Promise.all([
            t.http.delete(`/v1/incidents/${p.id}`),
            t.http.post('/v1/incidents').send(incidentBody({ title: 'Child', parent_id: p.id })),
          ]),
        ),
      );
      for (const [deleted, child] of results) {
        // Either the delete came first (the child is refused), or the child did (the delete is refused).
        expect([deleted.status, child.status]).toEqual(deleted.status === 204 ? [204, 422] : [409, 201]);
      }
      const orphans = await queryRows<{ id: string }>(
        t.database.db,
        sql`SELECT c.id FROM incidents c JOIN incidents p ON p.id = c.parent_id
          WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL`,
      );
      expect(orphans).toEqual([]);
    },
  );
});

describe('concurrent claims and deletes', () => {
  onServer(
    `${PAIRS} sources deleted while a claim cites each: never a live claim of a deleted source`,
    async () => {
      const incident = await createIncident(t.http);
      const sources = await Promise.all(
        Array.from({ length: PAIRS }, (_, i) => createSource(t.http, { name: `Source ${i}` })),
      );
      const results = await Promise.all(
        sources.map((s) =>
          Promise.all([
            t.http.delete(`/v1/sources/${s.id}`),
            t.http.post('/v1/claims').send(claimBody(incident.id, s.id, { killed: 3 })),
          ]),
        ),
      );
      for (const [deleted, claim] of results) {
        expect([deleted.status, claim.status]).toEqual(deleted.status === 204 ? [204, 422] : [409, 201]);
      }
      const stray = await queryRows<{ id: string }>(
        t.database.db,
        sql`SELECT c.id FROM claims c JOIN sources s ON s.id = c.source_id
          WHERE c.deleted_at IS NULL AND s.deleted_at IS NOT NULL`,
      );
      expect(stray).toEqual([]);
    },
  );

  onServer(
    `${PAIRS} incidents deleted while a claim is made on each: never a live claim of a deleted incident`,
    async () => {
      const source = await createSource(t.http);
      const incidents = await Promise.all(
        Array.from({ length: PAIRS }, (_, i) => createIncident(t.http, { title: `Short-lived ${i}` })),
      );
      const results = await Promise.all(
        incidents.map((i) =>
          Promise.all([
            t.http.delete(`/v1/incidents/${i.id}`),
            t.http.post('/v1/claims').send(claimBody(i.id, source.id, { killed: 1 })),
          ]),
        ),
      );
      for (const [deleted, claim] of results) {
        expect([deleted.status, claim.status]).toEqual(deleted.status === 204 ? [204, 422] : [409, 201]);
      }
      const stray = await queryRows<{ id: string }>(
        t.database.db,
        sql`SELECT c.id FROM claims c JOIN incidents i ON i.id = c.incident_id
          WHERE c.deleted_at IS NULL AND i.deleted_at IS NOT NULL`,
      );
      expect(stray).toEqual([]);
    },
  );
});
