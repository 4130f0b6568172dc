import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { createIncidentRepository } from '../../src/modules/incidents/incident-repository';
import { createIncidentTruth } from '../../src/modules/incidents/incident-truth';
import { createServices } from '../../src/services';
import { createTestApp, type TestApp } from '../helpers/app';
import { listDrift } from '../helpers/database';
import { asText, expectProblem, validationProblem } from '../helpers/factories';

/**
 * POST /v1/imports with ACLED and UCDP GED files written from their published column layouts: upsert by external
 * id, a re-import that changes nothing, UCDP's estimates kept exactly, history for every write, rejected rows with
 * their reasons, dry runs, and the problems a bad request gets.
 */

const FIXTURES = path.resolve(__dirname, '../fixtures/imports');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const ACLED = fixture('acled.csv');
const UCDP = fixture('ucdp.csv');
const BAD_ROWS = fixture('acled-bad-rows.csv');

type Row = Record<string, string>;
const rowsOf = (csv: string): Row[] => parse(csv, { columns: true }) as Row[];

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Http = TestApp['http'];

function importFile(
  http: Http | TestApp['anonymous'],
  format: string,
  body: string,
  options: { dryRun?: boolean; type?: string } = {},
) {
  const query = `format=${format}${options.dryRun ? '&dry_run=true' : ''}`;
  return http
    .post(`/v1/imports?${query}`)
    .set('content-type', options.type ?? 'text/csv')
    .send(body);
}

interface Report {
  format: string;
  dry_run: boolean;
  summary: { rows: number; created: number; updated: number; unchanged: number; rejected: number };
  rows: {
    row: number;
    external_id: { system: string; id: string } | null;
    outcome: string;
    incident_id: string | null;
    errors?: { path: string; message: string }[];
  }[];
}

async function imported(format: string, body: string, options: { dryRun?: boolean } = {}): Promise<Report> {
  const res = await importFile(t.http, format, body, options);
  expect([res.status, res.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
  return res.body as Report;
}

/** Every row of every table an import writes, and the journal's length: equal snapshots mean nothing changed. */
async function snapshot() {
  const tables: Record<string, string> = {
    incidents: `SELECT to_jsonb(t) - 'search_vector' AS r FROM incidents t ORDER BY id`,
    claims: `SELECT to_jsonb(t) - 'search_vector' AS r FROM claims t ORDER BY id`,
    sources: `SELECT to_jsonb(t) AS r FROM sources t ORDER BY id`,
    actors: `SELECT to_jsonb(t) AS r FROM incident_actors t ORDER BY incident_id, position`,
    tags: `SELECT to_jsonb(t) AS r FROM incident_tags t ORDER BY incident_id, tag`,
    external_ids: `SELECT to_jsonb(t) AS r FROM incident_external_ids t ORDER BY system, external_id`,
    ref_counters: `SELECT to_jsonb(t) AS r FROM incident_ref_counters t ORDER BY prefix`,
    changes: `SELECT jsonb_build_object('count', count(*), 'last', max(seq)) AS r FROM changes`,
  };
  const result: Record<string, unknown[]> = {};
  for (const [name, query] of Object.entries(tables)) {
    result[name] = (await queryRows<{ r: unknown }>(t.database.db, sql.raw(query))).map((row) => row.r);
  }
  return result;
}

const changeCount = async () =>
  (await queryRows<{ n: number }>(t.database.db, sql`SELECT count(*)::int AS n FROM changes`))[0]!.n;

async function incidentByExternalId(system: string, id: string) {
  const [row] = await queryRows<{ incident_id: string }>(
    t.database.db,
    sql`SELECT incident_id FROM incident_external_ids WHERE system = ${system} AND external_id = ${id}`,
  );
  if (!row) return undefined;
  return (await t.http.get(`/v1/incidents/${row.incident_id}`).expect(200)).body;
}

describe('ACLED and UCDP GED files', () => {
  let firstAcled: Report;
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    before = await snapshot();
    firstAcled = await imported('acled_csv', ACLED);
  });

  test('a first import creates one incident per row, with its sources and claims', async () => {
    const rows = rowsOf(ACLED);
    expect(firstAcled.format).toBe('acled_csv');
    expect(firstAcled.dry_run).toBe(false);
    expect(firstAcled.summary).toEqual({ rows: 20, created: 20, updated: 0, unchanged: 0, rejected: 0 });
    expect(firstAcled.rows.map((r) => [r.row, r.external_id, r.outcome])).toEqual(
      rows.map((r, i) => [i + 1, { system: 'acled', id: r.event_id_cnty }, 'created']),
    );
    expect(before.incidents).toEqual([]);
    const sources = (await t.http.get('/v1/sources?limit=1000').expect(200)).body.data as { name: string }[];
    const named = new Set(rows.flatMap((r) => r.source!.split(';').map((s) => s.trim())));
    // One source per distinct name, shared by the rows that cite it.
    expect(sources.map((s) => s.name).sort()).toEqual([...named].sort());
  });

  test('each ACLED row maps onto the incident fields as documented', async () => {
    const incident = await incidentByExternalId('acled', 'SYR110002');
    expect(incident).toMatchObject({
      title: 'Attack in Al Mukhtariyeh',
      summary: expect.stringContaining('executed about 40 residents'),
      category: 'violence_against_civilians',
      subcategory: 'attack',
      occurred_from: '2025-03-07',
      occurred_to: '2025-03-07',
      date_precision: 'day',
      country: 'SYR',
      admin1: 'Lattakia',
      admin2: 'Lattakia',
      admin3: 'Al-Mukhtariyeh',
      place: 'Al Mukhtariyeh',
      latitude: 35.6017,
      longitude: 35.8861,
      geo_precision: 'exact',
      actors: [
        { name: 'Unidentified Armed Group (Syria)', role: 'perpetrator' },
        { name: 'Civilians (Syria)', role: 'target' },
        { name: 'Alawite Muslim Group (Syria)', role: 'target' },
      ],
      tags: ['civilian_targeting', 'women targeted: girls'],
      external_ids: [{ system: 'acled', id: 'SYR110002' }],
      // Two accepted claims from independent sources.
      status: 'corroborated',
      version: 1,
    });
    expect(incident.ref).toMatch(/^SYR-2025-\d{6}$/);
    const claims = (await t.http.get(`/v1/incidents/${incident.id}/claims`).expect(200)).body.data;
    const sourceNames = new Map(
      (
        (await t.http.get('/v1/sources?limit=1000').expect(200)).body.data as { id: string; name: string }[]
      ).map((s) => [s.id, s.name]),
    );
    expect(
      claims.map((c: Record<string, unknown>) => ({
        source: sourceNames.get(c.source_id as string),
        killed: c.killed,
        stance: c.stance,
        review_status: c.review_status,
        review_note: c.review_note,
        published_at: c.published_at,
      })),
    ).toEqual(
      expect.arrayContaining([
        {
          source: 'Syrian Observatory for Human Rights',
          killed: 40,
          stance: 'supports',
          review_status: 'accepted',
          review_note: 'Imported from ACLED event SYR110002; accepted as reviewed by its publisher.',
          published_at: '2025-03-12T00:00:00.000Z',
        },
        {
          source: 'Syrian Network for Human Rights',
          killed: null,
          stance: 'supports',
          review_status: 'accepted',
          review_note: 'Imported from ACLED event SYR110002; accepted as reviewed by its publisher.',
          published_at: '2025-03-12T00:00:00.000Z',
        },
      ]),
    );
    expect(claims).toHaveLength(2);
    expect(incident.casualties.killed).toMatchObject({ low: 40, best: 40, high: 40, claims: 1 });

    // Week and month precision, a first-order division as precision, and a row without coordinates.
    expect(await incidentByExternalId('acled', 'SYR110005')).toMatchObject({
      date_precision: 'week',
      geo_precision: 'near',
      subcategory: 'abduction',
    });
    expect(await incidentByExternalId('acled', 'SYR110009')).toMatchObject({
      date_precision: 'month',
      geo_precision: 'admin1',
      category: 'strategic_development',
      subcategory: 'other',
      actors: [
        { name: 'Military Forces of Syria (2024-)', role: 'other' },
        { name: 'SDF: Syrian Democratic Forces', role: 'other' },
      ],
    });
    expect(await incidentByExternalId('acled', 'SYR110010')).toMatchObject({
      latitude: null,
      longitude: null,
      place: 'Qardaha',
    });
    // A tag ACLED writes with "=" keeps its words; an older "16 March 2025" date is read too.
    expect((await incidentByExternalId('acled', 'SYR110007')).tags).toEqual(['crowd size around 200']);
    expect((await incidentByExternalId('acled', 'SYR110012')).occurred_from).toBe('2025-03-16');
    // Countries by their ISO numeric code.
    expect((await incidentByExternalId('acled', 'COD440001')).country).toBe('COD');
    expect((await incidentByExternalId('acled', 'PSE660001')).country).toBe('PSE');
    expect((await incidentByExternalId('acled', 'YEM220001')).country).toBe('YEM');
  });

  test('importing the ACLED file again changes nothing: every row unchanged, every table identical', async () => {
    const once = await snapshot();
    const again = await imported('acled_csv', ACLED);
    expect(again.summary).toEqual({ rows: 20, created: 0, updated: 0, unchanged: 20, rejected: 0 });
    expect(again.rows.map((r) => r.incident_id)).toEqual(firstAcled.rows.map((r) => r.incident_id));
    expect(await snapshot()).toEqual(once);
  });

  test('UCDP GED rows keep their low, best and high: the derived casualties equal them', async () => {
    const report = await imported('ucdp_ged_csv', UCDP);
    expect(report.summary).toEqual({ rows: 12, created: 12, updated: 0, unchanged: 0, rejected: 0 });
    for (const row of rowsOf(UCDP)) {
      const incident = await incidentByExternalId('ucdp_ged', row.id!);
      expect([row.id, incident.casualties.killed]).toEqual([
        row.id,
        expect.objectContaining({ low: Number(row.low), best: Number(row.best), high: Number(row.high) }),
      ]);
      const civilians = Number(row.deaths_civilians);
      expect([row.id, incident.casualties.killed_civilians?.best ?? null]).toEqual([row.id, civilians]);
    }
    const once = await snapshot();
    const again = await imported('ucdp_ged_csv', UCDP);
    expect(again.summary).toEqual({ rows: 12, created: 0, updated: 0, unchanged: 12, rejected: 0 });
    expect(await snapshot()).toEqual(once);
  });

  test('each UCDP row maps onto the incident fields as documented', async () => {
    expect(await incidentByExternalId('ucdp_ged', '512003')).toMatchObject({
      title: 'SDF - IS in Deir ez-Zor district',
      category: 'battle',
      subcategory: null,
      occurred_from: '2023-03-07',
      occurred_to: '2023-03-09',
      date_precision: 'week',
      country: 'SYR',
      admin1: 'Deir ez-Zor governorate',
      admin2: 'Deir ez-Zor district',
      place: 'Deir ez-Zor district',
      geo_precision: 'admin2',
      actors: [
        { name: 'SDF', role: 'other' },
        { name: 'IS', role: 'other' },
      ],
      tags: ['ucdp:non-state'],
      casualties: { killed: { low: 5, best: 8, high: 12, claims: 3 }, killed_combatants: { best: 7 } },
    });
    expect(await incidentByExternalId('ucdp_ged', '512006')).toMatchObject({
      category: 'violence_against_civilians',
      country: 'COD',
      actors: [
        { name: 'ADF', role: 'perpetrator' },
        { name: 'Civilians', role: 'target' },
      ],
      tags: ['ucdp:one-sided'],
    });
    expect(await incidentByExternalId('ucdp_ged', '512007')).toMatchObject({
      country: 'YEM',
      date_precision: 'week',
      geo_precision: 'admin1',
    });
    expect(await incidentByExternalId('ucdp_ged', '512008')).toMatchObject({
      country: 'SDN',
      date_precision: 'month',
      occurred_from: '2023-06-01',
      occurred_to: '2023-06-30',
    });
    expect(await incidentByExternalId('ucdp_ged', '512009')).toMatchObject({ country: 'MMR' });
    expect(await incidentByExternalId('ucdp_ged', '512012')).toMatchObject({
      latitude: null,
      longitude: null,
      geo_precision: 'country',
    });
    // The figures come from the first source; the further ones support the event without a figure.
    const incident = await incidentByExternalId('ucdp_ged', '512001');
    const claims = (await t.http.get(`/v1/incidents/${incident.id}/claims`).expect(200)).body.data;
    expect(
      claims
        .map((c: Record<string, unknown>) => [c.killed, c.credibility, c.statement, c.published_at])
        .sort((a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      [6, 3, null, '2023-03-02T00:00:00.000Z'],
      [
        7,
        2,
        'Syrian army shells rebel-held villages;Shelling kills fighters in Idlib',
        '2023-03-02T00:00:00.000Z',
      ],
      [9, 3, null, '2023-03-02T00:00:00.000Z'],
      [null, 6, null, '2023-03-02T00:00:00.000Z'],
      [null, 6, null, '2023-03-02T00:00:00.000Z'],
    ]);
  });

  test('every imported record reads back as its history recorded it, and its derived fields are the rules’', async () => {
    const ids = await queryRows<{ id: string }>(t.database.db, sql`SELECT id FROM incidents`);
    expect(await listDrift(t.database.db)).toEqual([]);
    const truth = createIncidentTruth({ incidents: createIncidentRepository() });
    const { kernel } = createServices(t.database.db);
    const rollBack = new Error('roll back');
    for (const { id } of ids) {
      const current = (await t.http.get(`/v1/incidents/${id}`).expect(200)).body;
      const history = (await t.http.get(`/v1/incidents/${id}/history`).expect(200)).body.data;
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ version: 1, action: 'create', actor: t.admin.id, state: current });
      expect(history[0].cause).toMatchObject({ reason: 'import', row: expect.any(Number) });
      // Recomputing by the rules, as a claim change would, finds nothing to change (and is rolled back).
      let changed: boolean | undefined;
      await expect(
        kernel.run({}, async (write) => {
          changed = await truth.recompute(write, id, {});
          throw rollBack;
        }),
      ).rejects.toBe(rollBack);
      expect([id, changed]).toEqual([id, false]);
      for (const claim of (await t.http.get(`/v1/incidents/${id}/claims`).expect(200)).body.data) {
        const claimHistory = (await t.http.get(`/v1/claims/${claim.id}/history`).expect(200)).body.data;
        expect(claimHistory).toEqual([
          expect.objectContaining({ version: 1, action: 'create', state: claim }),
        ]);
      }
    }
    expect(ids.length).toBe(32);
  });

  test('a changed row in a later import updates exactly that record, with a history entry', async () => {
    const changedFile = ACLED.replace(
      'killing 3 civilians and wounding 9.",3,,1741824000',
      'killing 4 civilians and wounding 9.",4,,1742000000',
    );
    expect(changedFile).not.toBe(ACLED);
    const target = await incidentByExternalId('acled', 'SYR110004');
    // The feed's last position before the import.
    const [{ cursor: feedEnd }] = (await queryRows<{ cursor: string }>(
      t.database.db,
      sql`SELECT xid || '.' || seq AS cursor FROM changes ORDER BY xid DESC, seq DESC LIMIT 1`,
    )) as [{ cursor: string }];

    const report = await imported('acled_csv', changedFile);
    expect(report.summary).toEqual({ rows: 20, created: 0, updated: 1, unchanged: 19, rejected: 0 });
    expect(report.rows.find((r) => r.outcome === 'updated')).toEqual({
      row: 4,
      external_id: { system: 'acled', id: 'SYR110004' },
      outcome: 'updated',
      incident_id: target.id,
    });

    const after = await incidentByExternalId('acled', 'SYR110004');
    expect(after).toMatchObject({
      version: 2,
      summary:
        'On 8 March 2025, mortar shells hit a residential neighbourhood of Banyas, killing 4 civilians and wounding 9.',
      casualties: { killed: { low: 4, best: 4, high: 4 } },
    });
    // The feed gained new versions of the row's two claims (the figure, and published_at from the new
    // timestamp) and of its incident, nothing else.
    const feed = (await t.http.get(`/v1/changes?after=${feedEnd}`).expect(200)).body.data;
    expect(feed.map((c: Record<string, unknown>) => [c.resource_type, c.action, c.version])).toEqual([
      ['claim', 'update', 2],
      ['claim', 'update', 2],
      ['incident', 'update', 2],
    ]);
    expect(
      feed.map(
        (c: { resource_id: string; state: { incident_id?: string } }) => c.state.incident_id ?? c.resource_id,
      ),
    ).toEqual([target.id, target.id, target.id]);
    const history = (await t.http.get(`/v1/incidents/${target.id}/history`).expect(200)).body.data;
    expect(history[1]).toMatchObject({
      version: 2,
      action: 'update',
      actor: t.admin.id,
      cause: { reason: 'import', format: 'acled_csv', row: 4 },
      changes: {
        summary: { from: target.summary, to: after.summary },
        casualties: { from: target.casualties, to: after.casualties },
      },
    });
    const claims = (await t.http.get(`/v1/incidents/${target.id}/claims`).expect(200)).body.data;
    expect(claims.map((c: Record<string, unknown>) => [c.killed, c.published_at, c.version]).sort()).toEqual([
      [null, '2025-03-15T00:53:20.000Z', 2],
      [4, '2025-03-15T00:53:20.000Z', 2],
    ]);
  });

  test('a dry run classifies as the import would, and writes nothing', async () => {
    const state = await snapshot();
    const changedAgain = ACLED.replace('"On 14 March 2025, clashes', '"On 14 March 2025, heavy clashes');
    // New events citing sources of their own, so that the next test's file starts from scratch.
    const fresh = BAD_ROWS.replace(/IRQ77/g, 'IRQ88').replace(
      /Shafaq News|Rudaw|Kurdistan 24/g,
      (s) => `${s} (copy)`,
    );
    const dry = await imported('acled_csv', changedAgain, { dryRun: true });
    expect(dry.dry_run).toBe(true);
    expect(dry.summary).toEqual({ rows: 20, created: 0, updated: 2, unchanged: 18, rejected: 0 });
    const dryNew = await imported('acled_csv', fresh, { dryRun: true });
    expect(dryNew.summary).toEqual({ rows: 8, created: 2, updated: 0, unchanged: 0, rejected: 6 });
    // A created row has no incident yet.
    expect(dryNew.rows.filter((r) => r.outcome === 'created').map((r) => r.incident_id)).toEqual([
      null,
      null,
    ]);
    expect(await snapshot()).toEqual(state);

    // The real import then does what the dry run said.
    const real = await imported('acled_csv', changedAgain);
    expect(real.rows.map((r) => [r.row, r.outcome, r.incident_id])).toEqual(
      dry.rows.map((r) => [r.row, r.outcome, r.incident_id]),
    );
    const realNew = await imported('acled_csv', fresh);
    expect(realNew.rows.map((r) => [r.row, r.outcome, r.errors])).toEqual(
      dryNew.rows.map((r) => [r.row, r.outcome, r.errors]),
    );
  });
});

describe('rows that cannot be imported', () => {
  let report: Report;
  let feedBefore: number;
  let sourcesBefore: string[];
  const sourceNames = async () =>
    ((await t.http.get('/v1/sources?limit=1000').expect(200)).body.data as { name: string }[]).map(
      (s) => s.name,
    );
  beforeAll(async () => {
    feedBefore = await changeCount();
    sourcesBefore = await sourceNames();
    report = await imported('acled_csv', BAD_ROWS);
  });

  test('each bad row is reported with its reason; the good rows of the file are imported', () => {
    const rejected = (row: number, id: string | null, errors: { path: string; message: string }[]) => ({
      row,
      external_id: id === null ? null : { system: 'acled', id },
      outcome: 'rejected',
      incident_id: null,
      errors,
    });
    expect(report.summary).toEqual({ rows: 8, created: 2, updated: 0, unchanged: 0, rejected: 6 });
    expect(report.rows).toEqual([
      expect.objectContaining({ row: 1, outcome: 'created', incident_id: expect.any(String) }),
      rejected(2, 'IRQ770002', [{ path: 'event_date', message: 'must be a date, YYYY-MM-DD' }]),
      rejected(3, 'IRQ770003', [
        {
          path: 'event_type',
          message:
            'must be one of Battles, Explosions/Remote violence, Violence against civilians, Protests, Riots, Strategic developments',
        },
      ]),
      rejected(4, 'IRQ770004', [{ path: 'fatalities', message: 'Too small: expected number to be >=0' }]),
      rejected(5, null, [{ path: 'event_id_cnty', message: 'must not be blank: rows are matched by it' }]),
      rejected(6, 'IRQ770001', [
        {
          path: 'event_id_cnty',
          message: 'repeats an external id of row 1: each record may appear once in a file',
        },
      ]),
      rejected(7, 'IRQ770007', [{ path: 'latitude', message: 'Too big: expected number to be <=90' }]),
      expect.objectContaining({ row: 8, outcome: 'created', incident_id: expect.any(String) }),
    ]);
  });

  test('no bad row wrote anything: no incident, claim, source or history entry of its own', async () => {
    for (const id of ['IRQ770002', 'IRQ770003', 'IRQ770004', 'IRQ770007'])
      expect([id, await incidentByExternalId('acled', id)]).toEqual([id, undefined]);
    const first = await incidentByExternalId('acled', 'IRQ770001');
    // The repeated id did not overwrite the first row.
    expect(first).toMatchObject({ occurred_from: '2025-04-02', version: 1 });
    // The good rows' sources that were not known before are new; no source only a bad row cites exists.
    const created = (await sourceNames()).filter((name) => !sourcesBefore.includes(name));
    expect(created.sort()).toEqual(
      ['Kurdistan 24', 'Rudaw', 'Shafaq News'].filter((name) => !sourcesBefore.includes(name)),
    );
    // Two incidents with two claims each, and those sources, each with its history entry: nothing else.
    expect((await changeCount()) - feedBefore).toBe(2 + 4 + created.length);
  });
});

describe('the report', () => {
  test('with Accept: application/x-ndjson it is streamed, one row per line and the summary last', async () => {
    const res = await importFile(t.http, 'ucdp_ged_csv', UCDP)
      .set('accept', 'application/x-ndjson')
      .buffer(true)
      .parse(asText);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const lines = (res.body as string)
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(13);
    expect(lines.slice(0, 12).map((l) => [l.row, l.outcome])).toEqual(
      Array.from({ length: 12 }, (_, i) => [i + 1, 'unchanged']),
    );
    expect(lines[12]).toEqual({
      format: 'ucdp_ged_csv',
      dry_run: false,
      summary: { rows: 12, created: 0, updated: 0, unchanged: 12, rejected: 0 },
    });
  });

  test('a row whose field count differs from the header is rejected; the others are read', async () => {
    const header = ACLED.split('\n')[0]!;
    const report = await imported('acled_csv', `${header}\nSYR999,2025-01-01,too short\n`, { dryRun: true });
    expect(report.rows).toEqual([
      {
        row: 1,
        external_id: null,
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'row', message: 'has 3 fields; the header has 31' }],
      },
    ]);
  });

  test('an HXL hashtag row under the header is skipped', async () => {
    const [header, ...rows] = UCDP.split('\n');
    const hxl = header!
      .split(',')
      .map((c) => `#${c}`)
      .join(',');
    const report = await imported('ucdp_ged_csv', [header, hxl, ...rows].join('\n'), { dryRun: true });
    expect(report.summary).toEqual({ rows: 12, created: 0, updated: 0, unchanged: 12, rejected: 0 });
  });
});

describe('requests that are refused', () => {
  test('anonymous callers get 401 and readers 403; nothing is read', async () => {
    const anonymous = await importFile(t.anonymous, 'acled_csv', ACLED);
    expectProblem(anonymous, {
      type: '/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'POST /v1/imports needs an API key (Authorization: Bearer …) with the contributor role.',
    });
    const reader = (await t.as('reader')).http;
    expectProblem(await importFile(reader, 'acled_csv', ACLED), {
      type: '/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'POST /v1/imports needs the contributor role; this key is reader.',
    });
  });

  test('an unknown format is 400', async () => {
    expectProblem(
      await importFile(t.http, 'xlsx', ACLED),
      validationProblem('query', [
        {
          path: 'query.format',
          message: 'Invalid option: expected one of "acled_csv"|"ucdp_ged_csv"|"ndjson"|"csv"',
        },
      ]),
    );
  });

  test('a body that is not a CSV or NDJSON file is 415, as is one that does not suit the format', async () => {
    const json = await t.http.post('/v1/imports?format=ndjson').send({ title: 'x' });
    expectProblem(json, {
      type: '/problems/unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'An import body is a text/csv or application/x-ndjson file, not application/json.',
    });
    expectProblem(await importFile(t.http, 'acled_csv', '{}\n', { type: 'application/x-ndjson' }), {
      type: '/problems/unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'format=acled_csv takes a text/csv body, not application/x-ndjson.',
    });
    expectProblem(await t.http.post('/v1/imports?format=csv'), {
      type: '/problems/unsupported-media-type',
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'format=csv takes a text/csv body, not none.',
    });
  });

  test('a report format the API does not speak is 406', async () => {
    const res = await importFile(t.http, 'acled_csv', ACLED).set('accept', 'text/html');
    expect(res.status).toBe(406);
    expect(res.body.type).toBe('/problems/not-acceptable');
  });

  test('a header lacking required columns is 400 and nothing is read', async () => {
    const res = await importFile(t.http, 'ucdp_ged_csv', 'id,best,best\n1,2,3\n');
    expectProblem(res, {
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: 'The file’s header is not valid for this format.',
      errors: [
        { path: 'body.header', message: 'names column best twice' },
        ...[
          'type_of_violence',
          'side_a',
          'side_b',
          'country',
          'date_start',
          'date_end',
          'date_prec',
          'where_prec',
          'high',
          'low',
        ].map((c) => ({ path: 'body.header', message: `lacks the column ${c}` })),
      ],
    });
    expectProblem(await importFile(t.http, 'acled_csv', ''), {
      type: '/problems/validation',
      title: 'Invalid request',
      status: 400,
      detail: 'The file’s header is not valid for this format.',
      errors: [{ path: 'body.header', message: 'is missing: the file is empty' }],
    });
  });
});

describe('files that cannot be read to the end', () => {
  const header = ACLED.split('\n')[0]!;
  const row = (n: number) =>
    `TST${n},2024-06-01,2024,1,Political violence,Battles,Armed clash,A,,1,B,,1,11,,760,Middle East,Syria,Idleb,Idleb,Idleb,Idleb,35.9,36.6,1,Test Source,National,note ${n},${n % 5},,1717200000`;

  test('broken quoting stops the import with 400; the rows before it are imported and the problem says so', async () => {
    const rows = Array.from({ length: 1004 }, (_, i) => row(i + 1));
    const body = `${header}\n${rows.join('\n')}\nTST9999,"2024-06-01,broken\n`;
    const res = await importFile(t.http, 'acled_csv', body);
    expectProblem(res, {
      type: '/problems/bad-request',
      title: 'Bad Request',
      status: 400,
      detail: expect.stringMatching(
        /^The file is not valid CSV after record 1004: .+ The 1004 rows before it were imported and stay so \(1004 created, 0 updated, 0 unchanged, 0 rejected\); once the file is corrected, sending it again is safe: rows already imported are reported unchanged\.$/,
      ) as unknown as string,
    });
    expect(await incidentByExternalId('acled', 'TST1004')).toMatchObject({ summary: 'note 1004' });
    const again = await imported('acled_csv', `${header}\n${rows.join('\n')}\n`);
    expect(again.summary).toEqual({ rows: 1004, created: 0, updated: 0, unchanged: 1004, rejected: 0 });
  });

  test('a body over IMPORT_BODY_LIMIT is 413, whether its length is declared or found while reading', async () => {
    const small = await createTestApp({ IMPORT_BODY_LIMIT: '2048' });
    try {
      const head = `${header}\n${Array.from({ length: 5 }, (_, i) => row(i + 1)).join('\n')}\n`;
      const tail = `${Array.from({ length: 15 }, (_, i) => row(i + 6)).join('\n')}\n`;
      const limit =
        'The file is larger than this server accepts for an import (IMPORT_BODY_LIMIT, 2048 bytes); split it.';
      const problem = { type: '/problems/body-too-large', title: 'Content Too Large', status: 413 };
      expectProblem(await importFile(small.http, 'acled_csv', head + tail), { ...problem, detail: limit });
      expect(await queryRows(small.database.db, sql`SELECT id FROM incidents`)).toEqual([]);

      // Sent in chunks without a length: the limit is found while reading, after rows that are imported.
      await small.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = small.app.server.address() as AddressInfo;
      const answer = await new Promise<{ status: number; type: string; body: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = request(
            {
              port,
              host: '127.0.0.1',
              method: 'POST',
              path: '/v1/imports?format=acled_csv',
              headers: {
                authorization: `Bearer ${small.admin.secret}`,
                'content-type': 'text/csv',
                'transfer-encoding': 'chunked',
              },
            },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () =>
                resolve({
                  status: res.statusCode!,
                  type: res.headers['content-type']!,
                  body: JSON.parse(text),
                }),
              );
            },
          );
          req.on('error', reject);
          req.write(head);
          // The second chunk arrives after the first has been read.
          setTimeout(() => req.end(tail), 300);
        },
      );
      // The parser holds the last record of a chunk back until it sees what follows: four or five rows.
      const count = Number(/The (\d) rows before it/.exec(String(answer.body.detail))?.[1]);
      expect(count).toBeGreaterThanOrEqual(4);
      expect(answer).toEqual({
        status: 413,
        type: 'application/problem+json; charset=utf-8',
        body: {
          ...problem,
          detail: `${limit} The ${count} rows before it were imported and stay so (${count} created, 0 updated, 0 unchanged, 0 rejected); once the file is corrected, sending it again is safe: rows already imported are reported unchanged.`,
          instance: '/v1/imports',
          request_id: expect.any(String),
        },
      });
      expect(await queryRows(small.database.db, sql`SELECT count(*)::int AS n FROM incidents`)).toEqual([
        { n: count },
      ]);
    } finally {
      await small.close();
    }
  });
});
