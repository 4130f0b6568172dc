import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { createTestApp, type TestApp } from '../helpers/app';
import { listDrift } from '../helpers/database';
import { createIncident } from '../helpers/factories';

/**
 * An incident's actors, tags and external ids are stored on the record and, one row per entry, in the list tables.
 * Whatever writes them (a create, a PATCH, an import's insert or update), every read and export gives them in one
 * order: actors as given, tags by the database's collation, external ids by system then id; and the two copies agree.
 */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Lists = {
  actors: { name: string; role: string }[];
  tags: string[];
  external_ids: { system: string; id: string }[];
};

// Tags whose order depends on the collation (case and accents).
const TAGS = ['b', 'A', 'a', 'Ä', 'B', 'ä'];
const ACTORS = [
  { name: 'Zeta Brigade', role: 'perpetrator' },
  { name: 'Alpha residents', role: 'target' },
  { name: 'Mid militia', role: 'other' },
];
// Systems whose order depends on the collation (punctuation), one id each (a system appears once per incident).
const idsOf = (prefix: string) => [
  { system: `${prefix}_b`, id: '2' },
  { system: `${prefix}.a`, id: '10' },
  { system: `${prefix}-c`, id: `${prefix}-9` },
  { system: `${prefix}a`, id: 'x' },
];

/** The order the database gives these texts (its collation), which the stored tags must follow. */
async function collated(values: string[]): Promise<string[]> {
  const rows = await queryRows<{ v: string }>(
    t.database.db,
    sql`SELECT v FROM json_array_elements_text(${JSON.stringify(values)}::json) AS v ORDER BY v`,
  );
  return rows.map((r) => r.v);
}

async function expected(prefix: string): Promise<Lists> {
  const ids = idsOf(prefix);
  const systems = await collated(ids.map((e) => e.system));
  return {
    actors: ACTORS,
    tags: await collated(TAGS),
    external_ids: systems.map((system) => ids.find((e) => e.system === system)!),
  };
}

const listsOf = (record: Lists): Lists => ({
  actors: record.actors,
  tags: record.tags,
  external_ids: record.external_ids,
});

/** The incident as a read, a list page and an export give it: the same lists everywhere. */
async function everyView(id: string, ref: string): Promise<Lists[]> {
  const read = (await t.http.get(`/v1/incidents/${id}`).expect(200)).body as Lists;
  const page = (await t.http.get(`/v1/incidents?limit=1000`).expect(200)).body.data as (Lists & {
    id: string;
  })[];
  const exported = (await t.http.get('/v1/export/incidents?format=ndjson').expect(200)).text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Lists & { id: string; ref: string });
  return [read, page.find((r) => r.id === id)!, exported.find((r) => r.ref === ref)!].map(listsOf);
}

test('a create through the API', async () => {
  const created = await createIncident(t.http, {
    actors: ACTORS,
    tags: TAGS,
    external_ids: idsOf('api'),
  });
  const want = await expected('api');
  expect(listsOf(created)).toEqual(want);
  expect(await everyView(created.id, created.ref)).toEqual([want, want, want]);
  expect(await listDrift(t.database.db)).toEqual([]);
});

test('a PATCH of each list', async () => {
  const created = await createIncident(t.http, { tags: ['only'], external_ids: [] });
  const res = await t.http
    .patch(`/v1/incidents/${created.id}`)
    .send({ actors: ACTORS, tags: TAGS, external_ids: idsOf('patched') })
    .expect(200);
  const want = await expected('patched');
  expect(listsOf(res.body)).toEqual(want);
  expect(await everyView(created.id, created.ref)).toEqual([want, want, want]);

  // Emptied again: the stored lists are empty too.
  const emptied = await t.http
    .patch(`/v1/incidents/${created.id}`)
    .send({ actors: [], tags: [], external_ids: [] })
    .expect(200);
  const none = { actors: [], tags: [], external_ids: [] };
  expect(listsOf(emptied.body)).toEqual(none);
  expect(await everyView(created.id, created.ref)).toEqual([none, none, none]);
  expect(await listDrift(t.database.db)).toEqual([]);
});

test('an import that creates the incident, then one that changes its lists', async () => {
  const line = (tags: string[], actors: typeof ACTORS) =>
    `${JSON.stringify({
      title: 'Imported with lists',
      category: 'battle',
      occurred_from: '2025-03-07',
      actors,
      tags,
      external_ids: idsOf('imported'),
    })}\n`;
  const post = (body: string) =>
    t.http
      .post('/v1/imports?format=ndjson')
      .set('content-type', 'application/x-ndjson')
      .send(body)
      .expect(200);

  const first = (await post(line(TAGS, ACTORS))).body;
  expect(first.summary).toMatchObject({ created: 1, rejected: 0 });
  const id = first.rows[0].incident_id as string;
  const ref = (await t.http.get(`/v1/incidents/${id}`).expect(200)).body.ref as string;
  const want = await expected('imported');
  expect(await everyView(id, ref)).toEqual([want, want, want]);

  const reordered = [...ACTORS].reverse();
  const second = (await post(line([...TAGS, 'c'], reordered))).body;
  expect(second.summary).toMatchObject({ updated: 1, rejected: 0 });
  const changed = { ...want, actors: reordered, tags: await collated([...TAGS, 'c']) };
  expect(await everyView(id, ref)).toEqual([changed, changed, changed]);

  // The history's states are the record as it was read.
  const history = (await t.http.get(`/v1/incidents/${id}/history`).expect(200)).body.data;
  expect(history.map((e: { state: Lists }) => listsOf(e.state))).toEqual([want, changed]);
  expect(await listDrift(t.database.db)).toEqual([]);
});

test('the migration that added the stored lists fills them as the writes do', async () => {
  await createIncident(t.http, { actors: ACTORS, tags: TAGS, external_ids: idsOf('migrated') });
  // The incidents as they were before that migration: their lists only in the list tables.
  await t.database.db.execute(sql`UPDATE incidents SET actors = '[]', tags = '[]', external_ids = '[]'`);
  expect((await listDrift(t.database.db)).length).toBeGreaterThan(0);

  const migration = readFileSync(
    path.join(__dirname, '../../migrations/0005_incident_lists_on_record.sql'),
    'utf8',
  );
  const backfill = migration.split('--> statement-breakpoint').find((s) => s.includes('UPDATE'))!;
  await t.database.db.execute(sql.raw(backfill));
  expect(await listDrift(t.database.db)).toEqual([]);
  const [migrated] = (await t.http.get('/v1/incidents?limit=1000').expect(200)).body.data.filter((r: Lists) =>
    r.external_ids.some((e) => e.system.startsWith('migrated')),
  );
  expect(listsOf(migrated)).toEqual(await expected('migrated'));
});
