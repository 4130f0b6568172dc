import { createTestApp, type TestApp } from '../helpers/app';
import { asText, createIncident } from '../helpers/factories';

/**
 * The API's own formats: incidents exported as NDJSON or CSV import into another database as the same incidents,
 * matched by their external ids, and a second import changes nothing.
 */

let source: TestApp;
beforeAll(async () => {
  source = await createTestApp();
  await createIncident(source.http, {
    title: 'Executions in al-Mukhtariya',
    summary: 'About 40 residents executed together; videos show the bodies.',
    category: 'violence_against_civilians',
    subcategory: 'execution',
    occurred_from: '2025-03-07',
    date_precision: 'day',
    country: 'SYR',
    admin1: 'Latakia',
    admin2: 'Latakia',
    admin3: 'al-Mukhtariya',
    place: 'al-Mukhtariya',
    latitude: 35.6017,
    longitude: 35.8861,
    geo_precision: 'exact',
    actors: [
      { name: 'Unidentified gunmen', role: 'perpetrator' },
      { name: 'Residents of al-Mukhtariya', role: 'target' },
    ],
    tags: ['mass execution', 'video evidence', 'alawite'],
    external_ids: [
      { system: 'snhr', id: 'SNHR-2025-0412' },
      { system: 'acled', id: 'SYR110002' },
    ],
  });
  await createIncident(source.http, {
    title: 'Two days of fighting on the coast',
    category: 'battle',
    subcategory: 'armed_clash',
    occurred_from: '2025-03-06',
    occurred_to: '2025-03-07',
    date_precision: 'week',
    country: 'SYR',
    admin1: 'Latakia',
    external_ids: [{ system: 'snhr', id: 'SNHR-2025-0400' }],
  });
  await createIncident(source.http, {
    title: 'Protest in the square',
    category: 'protest',
    occurred_from: '2024-12-20',
    date_precision: 'month',
    latitude: -1.5,
    longitude: 29.25,
    geo_precision: 'near',
    external_ids: [{ system: 'partner.ngo', id: 'P-1' }],
  });
  // Without an external id the import cannot match it later, so it refuses it.
  await createIncident(source.http, { title: 'Unmatched incident', external_ids: [] });
});
afterAll(() => source.close());

const WRITABLE = [
  'title',
  'summary',
  'category',
  'subcategory',
  'occurred_from',
  'occurred_to',
  'date_precision',
  'country',
  'admin1',
  'admin2',
  'admin3',
  'place',
  'latitude',
  'longitude',
  'geo_precision',
  'actors',
  'tags',
  'parent_id',
  'external_ids',
];

/** The writable fields of every incident of a database, by its first external id. */
async function incidentsOf(app: TestApp) {
  const data = (await app.http.get('/v1/incidents?limit=1000').expect(200)).body.data as Record<
    string,
    unknown
  >[];
  return Object.fromEntries(
    data
      .filter((i) => (i.external_ids as unknown[]).length > 0)
      .map((i) => [
        JSON.stringify((i.external_ids as unknown[])[0]),
        Object.fromEntries(WRITABLE.map((f) => [f, i[f]])),
      ]),
  );
}

async function exported(format: 'ndjson' | 'csv', query = '') {
  const res = await source.http
    .get(`/v1/export/incidents?format=${format}${query}`)
    .buffer(true)
    .parse(asText)
    .expect(200);
  return res.body as string;
}

const roundTrips: [format: 'ndjson' | 'csv', type: string, query: string][] = [
  ['ndjson', 'application/x-ndjson', ''],
  ['csv', 'text/csv', '&hxl=true'],
];

describe.each(roundTrips)('format=%s', (format, type, query) => {
  let target: TestApp;
  beforeAll(async () => {
    target = await createTestApp();
  });
  afterAll(() => target.close());

  test('an export imports into a fresh database as the same incidents; a second import changes nothing', async () => {
    const file = await exported(format, query);
    const first = await target.http
      .post(`/v1/imports?format=${format}`)
      .set('content-type', type)
      .send(file)
      .expect(200);
    expect(first.body.summary).toEqual({ rows: 4, created: 3, updated: 0, unchanged: 0, rejected: 1 });
    expect(first.body.rows.find((r: { outcome: string }) => r.outcome === 'rejected')).toMatchObject({
      external_id: null,
      errors: [
        { path: 'external_ids', message: 'must list at least one external id: rows are matched by them' },
      ],
    });
    const expected = await incidentsOf(source);
    expect(Object.keys(expected)).toHaveLength(3);
    expect(await incidentsOf(target)).toEqual(expected);

    const again = await target.http
      .post(`/v1/imports?format=${format}`)
      .set('content-type', type)
      .send(file)
      .expect(200);
    expect(again.body.summary).toEqual({ rows: 4, created: 0, updated: 0, unchanged: 3, rejected: 1 });
  });
});

describe('format=ndjson', () => {
  let target: TestApp;
  beforeAll(async () => {
    target = await createTestApp();
  });
  afterAll(() => target.close());

  const post = (body: string) =>
    target.http
      .post('/v1/imports?format=ndjson')
      .set('content-type', 'application/x-ndjson')
      .send(body)
      .expect(200);

  test('a line is the whole record: a field left out is cleared, a changed one updated; other ids are kept', async () => {
    const line = {
      title: 'Shelling of the central market',
      summary: 'Twelve killed.',
      category: 'explosion_remote_violence',
      occurred_from: '2025-03-07',
      tags: ['market'],
      external_ids: [{ system: 'partner', id: 'M-1' }],
    };
    await post(`${JSON.stringify(line)}\n`);
    const [created] = (await target.http.get('/v1/incidents').expect(200)).body.data;
    // Someone links the incident to another system meanwhile.
    await target.http
      .patch(`/v1/incidents/${created.id}`)
      .send({ external_ids: [...created.external_ids, { system: 'acled', id: 'SYR1' }] })
      .expect(200);

    const { summary: _dropped, ...withoutSummary } = line;
    const report = await post(
      `${JSON.stringify({ ...withoutSummary, title: 'Shelling of the old market' })}\n`,
    );
    expect(report.body.rows).toEqual([
      { row: 1, external_id: { system: 'partner', id: 'M-1' }, outcome: 'updated', incident_id: created.id },
    ]);
    const after = (await target.http.get(`/v1/incidents/${created.id}`).expect(200)).body;
    expect(after).toMatchObject({
      title: 'Shelling of the old market',
      summary: null,
      version: 3,
      external_ids: [
        { system: 'acled', id: 'SYR1' },
        { system: 'partner', id: 'M-1' },
      ],
    });
  });

  test('lines that are not JSON objects, name unknown fields, or are deleted records are rejected', async () => {
    const good = {
      title: 'A',
      category: 'riot',
      occurred_from: '2025-01-01',
      external_ids: [{ system: 'p', id: '9' }],
    };
    const body = [
      '{"title": ',
      '',
      '[1, 2]',
      JSON.stringify({ ...good, external_ids: [{ system: 'p', id: '10' }], killed: 3 }),
      JSON.stringify({
        ...good,
        external_ids: [{ system: 'p', id: '11' }],
        deleted_at: '2025-02-01T00:00:00.000Z',
      }),
      JSON.stringify({
        ...good,
        id: '00000000-0000-4000-8000-000000000000',
        ref: 'XXX-2025-000001',
        status: 'verified',
      }),
    ].join('\r\n');
    const report = await post(body);
    expect(report.body.rows).toEqual([
      {
        row: 1,
        external_id: null,
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'row', message: expect.stringMatching(/^is not valid JSON: /) }],
      },
      {
        row: 3,
        external_id: null,
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'row', message: 'must be a JSON object' }],
      },
      {
        row: 4,
        external_id: { system: 'p', id: '10' },
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'killed', message: 'Unrecognized key: "killed"' }],
      },
      {
        row: 5,
        external_id: { system: 'p', id: '11' },
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'deleted_at', message: 'is set: a deleted record is not imported' }],
      },
      // The fields the server owns are ignored, as in an export.
      { row: 6, external_id: { system: 'p', id: '9' }, outcome: 'created', incident_id: expect.any(String) },
    ]);
    const created = (await target.http.get(`/v1/incidents/${report.body.rows[4].incident_id}`).expect(200))
      .body;
    expect(created).toMatchObject({ status: 'unverified', version: 1 });
    expect(created.ref).toMatch(/^XXX-2025-\d{6}$/);
    expect(created.id).not.toBe('00000000-0000-4000-8000-000000000000');
  });

  test('two lines naming one incident by different ids: the second is rejected', async () => {
    const both = {
      title: 'Market',
      category: 'riot',
      occurred_from: '2025-01-01',
      external_ids: [
        { system: 'x', id: '1' },
        { system: 'y', id: '1' },
      ],
    };
    const first = await post(`${JSON.stringify(both)}\n`);
    const byY = { ...both, external_ids: [{ system: 'y', id: '1' }] };
    const byX = { ...both, external_ids: [{ system: 'x', id: '1' }] };
    const report = await post(`${JSON.stringify(byY)}\n${JSON.stringify(byX)}\n`);
    expect(report.body.rows).toEqual([
      {
        row: 1,
        external_id: { system: 'y', id: '1' },
        outcome: 'unchanged',
        incident_id: first.body.rows[0].incident_id,
      },
      {
        row: 2,
        external_id: { system: 'x', id: '1' },
        outcome: 'rejected',
        incident_id: null,
        errors: [{ path: 'external_ids', message: 'names the same incident as row 1' }],
      },
    ]);
  });
});
