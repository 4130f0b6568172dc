import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { createImportService } from '../../src/modules/imports/import-service';
import { createImportRepository } from '../../src/modules/imports/import-repository';
import { createIncidentRepository } from '../../src/modules/incidents/incident-repository';
import { createServices } from '../../src/services';
import { createTestApp, type TestApp } from '../helpers/app';
import { listDrift } from '../helpers/database';

/**
 * How an import meets what is already stored: batches and their failures, deleted records, reviews made since,
 * claims added or deleted through the API, edits a re-import undoes, and who may accept imported claims.
 */

const ACLED = readFileSync(path.resolve(__dirname, '../fixtures/imports/acled.csv'), 'utf8');
const HEADER = ACLED.split('\n')[0]!;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Http = TestApp['http'];

/** An ACLED row with the fields these tests vary. */
function acledRow(
  id: string,
  fields: { location?: string; sources?: string; fatalities?: number; notes?: string } = {},
) {
  const { location = 'Idleb', sources = 'Test Monitor', fatalities = 3, notes = 'A test event.' } = fields;
  return `${id},2024-06-01,2024,1,Political violence,Battles,Armed clash,Group A,,1,Group B,,1,11,,760,Middle East,Syria,Idleb,Idleb,Idleb,${location},35.9,36.6,1,${sources},National,${notes},${fatalities},,1717200000`;
}
const file = (...rows: string[]) => `${HEADER}\n${rows.join('\n')}\n`;

async function importAcled(http: Http, body: string) {
  const res = await http.post('/v1/imports?format=acled_csv').set('content-type', 'text/csv').send(body);
  expect(res.status).toBe(200);
  return res.body as {
    summary: Record<string, number>;
    rows: { row: number; outcome: string; incident_id: string | null; errors?: unknown }[];
  };
}

async function incidentOf(id: string) {
  const [row] = await queryRows<{ incident_id: string }>(
    t.database.db,
    sql`SELECT incident_id FROM incident_external_ids WHERE system = 'acled' AND external_id = ${id}`,
  );
  return row?.incident_id;
}

const claimsOf = async (incidentId: string) =>
  (await t.http.get(`/v1/incidents/${incidentId}/claims?include_deleted=true`).expect(200)).body
    .data as Record<string, unknown>[];

describe('batches', () => {
  test('small batches give the same result as one: the file’s rows in order, then all unchanged', async () => {
    const incidents = createIncidentRepository();
    const service = createImportService({
      db: t.database.db,
      kernel: createServices(t.database.db).kernel,
      repository: createImportRepository(),
      incidents,
      batchRows: 3,
    });
    const batches: { row: number; outcome: string }[][] = [];
    for await (const batch of service.run(Readable.from([Buffer.from(ACLED)]), {
      format: 'acled_csv',
      dryRun: false,
      context: { actor: 'system' },
      reviewer: true,
    })) {
      batches.push(batch);
    }
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 3, 3, 3, 2]);
    expect(batches.flat().map((r) => [r.row, r.outcome])).toEqual(
      Array.from({ length: 20 }, (_, i) => [i + 1, 'created']),
    );
    const again = await importAcled(t.http, ACLED);
    expect(again.summary).toEqual({ rows: 20, created: 0, updated: 0, unchanged: 20, rejected: 0 });
  });

  test('a batch the database refuses is written again row by row: only the row at fault is rejected', async () => {
    await t.database.db.execute(
      sql.raw(`CREATE FUNCTION refuse_poisoned_well() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.place = 'Poisoned Well' THEN
            RAISE EXCEPTION 'refused' USING ERRCODE = '23514', CONSTRAINT = 'test_refuse_poisoned_well';
          END IF;
          RETURN NEW;
        END $$`),
    );
    await t.database.db.execute(
      sql.raw(
        `CREATE TRIGGER refuse_poisoned_well BEFORE INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION refuse_poisoned_well()`,
      ),
    );
    try {
      const report = await importAcled(
        t.http,
        file(
          acledRow('BAT1', { sources: 'Shared Monitor' }),
          acledRow('BAT2', {
            location: 'Poisoned Well',
            sources: 'Only Cited By The Poisoned Row; Shared Monitor',
          }),
          acledRow('BAT3', { sources: 'Shared Monitor; Second Monitor' }),
        ),
      );
      expect(report.rows).toEqual([
        {
          row: 1,
          external_id: { system: 'acled', id: 'BAT1' },
          outcome: 'created',
          incident_id: expect.any(String),
        },
        {
          row: 2,
          external_id: { system: 'acled', id: 'BAT2' },
          outcome: 'rejected',
          incident_id: null,
          errors: [{ path: 'row', message: 'The database refused the row (test_refuse_poisoned_well).' }],
        },
        {
          row: 3,
          external_id: { system: 'acled', id: 'BAT3' },
          outcome: 'created',
          incident_id: expect.any(String),
        },
      ]);
      expect(await incidentOf('BAT2')).toBeUndefined();
      const sources = await queryRows<{ name: string; n: number }>(
        t.database.db,
        sql`SELECT name, count(*)::int AS n FROM sources WHERE name IN ('Shared Monitor', 'Second Monitor', 'Only Cited By The Poisoned Row') GROUP BY name ORDER BY name`,
      );
      expect(sources).toEqual([
        { name: 'Second Monitor', n: 1 },
        { name: 'Shared Monitor', n: 1 },
      ]);
      // Nothing of the refused row reached the history either.
      const [orphans] = await queryRows<{ n: number }>(
        t.database.db,
        sql`SELECT count(*)::int AS n FROM changes c WHERE c.resource_type = 'incident' AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = c.resource_id)`,
      );
      expect(orphans!.n).toBe(0);
    } finally {
      await t.database.db.execute(sql.raw('DROP TRIGGER refuse_poisoned_well ON incidents'));
      await t.database.db.execute(sql.raw('DROP FUNCTION refuse_poisoned_well()'));
    }
  });
});

describe('what is stored already', () => {
  test('a row naming a deleted incident is rejected: an import does not bring it back', async () => {
    await importAcled(t.http, file(acledRow('DEL1')));
    const id = (await incidentOf('DEL1'))!;
    for (const claim of await claimsOf(id)) await t.http.delete(`/v1/claims/${claim.id}`).expect(204);
    await t.http.delete(`/v1/incidents/${id}`).expect(204);
    const report = await importAcled(t.http, file(acledRow('DEL1')));
    expect(report.rows).toEqual([
      {
        row: 1,
        external_id: { system: 'acled', id: 'DEL1' },
        outcome: 'rejected',
        incident_id: null,
        errors: [
          {
            path: 'event_id_cnty',
            message: `names the deleted incident ${id}: an import neither changes nor restores deleted records`,
          },
        ],
      },
    ]);
  });

  test('a contributor’s import leaves claims pending; a verifier’s accepts them; neither undoes a review', async () => {
    const contributor = (await t.as('contributor')).http;
    const verifier = (await t.as('verifier')).http;
    const body = file(acledRow('REV1', { sources: 'Review Monitor A; Review Monitor B', fatalities: 7 }));
    const first = await importAcled(contributor, body);
    expect(first.rows[0]!.outcome).toBe('created');
    const id = first.rows[0]!.incident_id!;
    expect((await t.http.get(`/v1/incidents/${id}`).expect(200)).body).toMatchObject({
      status: 'unverified',
      casualties: { killed: null },
    });
    expect((await claimsOf(id)).map((c) => [c.review_status, c.review_note])).toEqual([
      ['pending', 'Imported from ACLED event REV1.'],
      ['pending', 'Imported from ACLED event REV1.'],
    ]);

    const reviewed = await importAcled(verifier, body);
    expect(reviewed.rows[0]!.outcome).toBe('updated');
    expect((await claimsOf(id)).map((c) => [c.review_status, c.review_note])).toEqual([
      ['accepted', 'Imported from ACLED event REV1; accepted as reviewed by its publisher.'],
      ['accepted', 'Imported from ACLED event REV1; accepted as reviewed by its publisher.'],
    ]);
    expect((await t.http.get(`/v1/incidents/${id}`).expect(200)).body).toMatchObject({
      status: 'corroborated',
      casualties: { killed: { low: 7, best: 7, high: 7 } },
    });

    // A verifier rejects one claim; no later import, by anyone, accepts it again.
    const [withFigure] = (await claimsOf(id)).filter((c) => c.killed === 7);
    await verifier
      .patch(`/v1/claims/${withFigure!.id}`)
      .send({ review_status: 'rejected', review_note: 'Count not supported.' })
      .expect(200);
    expect((await importAcled(verifier, body)).rows[0]!.outcome).toBe('unchanged');
    expect((await importAcled(contributor, body)).rows[0]!.outcome).toBe('unchanged');
    expect((await t.http.get(`/v1/claims/${withFigure!.id}`).expect(200)).body).toMatchObject({
      review_status: 'rejected',
      review_note: 'Count not supported.',
    });
  });

  test('claims made or deleted through the API are left as they are', async () => {
    const body = file(acledRow('API1', { sources: 'Api Monitor A; Api Monitor B' }));
    await importAcled(t.http, body);
    const id = (await incidentOf('API1'))!;
    const [first, second] = await claimsOf(id);
    await t.http.delete(`/v1/claims/${second!.id}`).expect(204);
    const added = (
      await t.http
        .post('/v1/claims')
        .send({ incident_id: id, source_id: first!.source_id, killed: 9, review_status: 'accepted' })
        .expect(201)
    ).body;
    expect((await importAcled(t.http, body)).rows[0]!.outcome).toBe('unchanged');
    const claims = await claimsOf(id);
    expect(claims.map((c) => [c.id, c.deleted_at === null, c.version])).toEqual([
      [first!.id, true, 1],
      [second!.id, false, 2],
      [added.id, true, 1],
    ]);
  });

  test('a source dropped from a row deletes its imported claim, and the derived fields follow', async () => {
    await importAcled(t.http, file(acledRow('DROP1', { sources: 'Drop Monitor A; Drop Monitor B' })));
    const id = (await incidentOf('DROP1'))!;
    expect((await t.http.get(`/v1/incidents/${id}`).expect(200)).body.status).toBe('corroborated');
    const report = await importAcled(t.http, file(acledRow('DROP1', { sources: 'Drop Monitor A' })));
    expect(report.rows[0]!.outcome).toBe('updated');
    const claims = await claimsOf(id);
    const dropped = claims.filter((c) => c.deleted_at !== null);
    // The first source's claim, with the figure, stays; the other is deleted.
    expect(claims.filter((c) => c.deleted_at === null).map((c) => c.killed)).toEqual([3]);
    expect(dropped.map((c) => c.killed)).toEqual([null]);
    const history = (await t.http.get(`/v1/claims/${dropped[0]!.id}/history`).expect(200)).body.data;
    expect(history.map((h: { action: string; cause: unknown }) => [h.action, h.cause])).toEqual([
      ['create', { reason: 'import', format: 'acled_csv', row: 1 }],
      ['delete', { reason: 'import', format: 'acled_csv', row: 1 }],
    ]);
    expect((await t.http.get(`/v1/incidents/${id}`).expect(200)).body).toMatchObject({
      status: 'unverified',
      version: 2,
    });
  });

  test('an edit through the API to a field the file speaks for is undone by the next import; others stay', async () => {
    const body = file(acledRow('EDIT1'));
    await importAcled(t.http, body);
    const id = (await incidentOf('EDIT1'))!;
    const parent = (
      await t.http
        .post('/v1/incidents')
        .send({ title: 'Wider battle', category: 'battle', occurred_from: '2024-06-01' })
        .expect(201)
    ).body;
    await t.http
      .patch(`/v1/incidents/${id}`)
      .send({ title: 'Edited title', parent_id: parent.id })
      .expect(200);
    const report = await importAcled(t.http, body);
    expect(report.rows[0]!.outcome).toBe('updated');
    expect((await t.http.get(`/v1/incidents/${id}`).expect(200)).body).toMatchObject({
      title: 'Armed clash in Idleb',
      parent_id: parent.id,
      version: 3,
    });
  });
});

describe('UCDP rows that cannot be imported', () => {
  test('estimates out of order and unknown countries are rejected with their reasons', async () => {
    const ucdp = readFileSync(path.resolve(__dirname, '../fixtures/imports/ucdp.csv'), 'utf8').split('\n');
    const [header, first] = ucdp as [string, string];
    const swapped = first.replace(',7,9,6,652,', ',7,5,6,652,');
    const nowhere = first.replace('512001', '512901').replace(',Syria,652,', ',Atlantis,652,');
    expect(swapped).not.toBe(first);
    expect(nowhere).not.toBe(first);
    const res = await t.http
      .post('/v1/imports?format=ucdp_ged_csv&dry_run=true')
      .set('content-type', 'text/csv')
      .send(`${header}\n${swapped}\n${nowhere}\n`)
      .expect(200);
    expect(res.body.rows.map((r: { errors?: unknown }) => r.errors)).toEqual([
      [{ path: 'best', message: 'low ≤ best ≤ high must hold; the row has 6, 7, 5' }],
      [{ path: 'country', message: '"Atlantis" is not a known country name' }],
    ]);
  });
});

// Last: whatever the tests above did to incidents' lists, the copy stored on each record agrees with the tables.
test('the lists stored on each incident are the entries of its list tables', async () => {
  const [entries] = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM incident_external_ids`,
  );
  expect(entries!.n).toBeGreaterThan(0);
  expect(await listDrift(t.database.db)).toEqual([]);
});
