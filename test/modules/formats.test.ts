import { parse } from 'csv-parse/sync';
import { EXPORT_BATCH } from '../../src/http/export-stream';
import { createTestApp, type TestApp } from '../helpers/app';
import {
  asText,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  validationProblem,
  linkTargets,
} from '../helpers/factories';

/**
 * Every representation of lists and exports (JSON, NDJSON, CSV with HXL, GeoJSON), sparse fields, content
 * negotiation and the Link header. Each format is read back and compared with the JSON representation.
 */

let t: TestApp;

type Json = Record<string, unknown> & { id: string };
type Resource = 'sources' | 'incidents' | 'claims';
const RESOURCES: Resource[] = ['sources', 'incidents', 'claims'];

const FIGURES = [
  'killed',
  'killed_civilians',
  'killed_combatants',
  'injured',
  'detained',
  'missing',
] as const;
const FIGURE_COLUMNS = FIGURES.flatMap((f) => [`${f}_low`, `${f}_best`, `${f}_high`]);

/** The CSV columns of each resource: a stable public contract. */
const COLUMNS: Record<Resource, string[]> = {
  sources: [
    'id',
    'name',
    'acronym',
    'kind',
    'url',
    'country',
    'independence_group',
    'reliability',
    'party_to_conflict',
    'protected',
    'notes',
    'created_at',
    'updated_at',
    'version',
    'deleted_at',
  ],
  incidents: [
    'id',
    'ref',
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
    'status',
    ...FIGURE_COLUMNS,
    'actors',
    'tags',
    'parent_id',
    'duplicate_of',
    'external_ids',
    'verification',
    'created_at',
    'updated_at',
    'version',
    'deleted_at',
  ],
  claims: [
    'id',
    'incident_id',
    'source_id',
    'stance',
    'statement',
    'language',
    'translation',
    'published_at',
    'url',
    'archived_url',
    'content_sha256',
    'killed',
    'killed_civilians',
    'killed_combatants',
    'injured',
    'detained',
    'missing',
    'figures_are_minimum',
    'credibility',
    'review_status',
    'review_note',
    'created_at',
    'updated_at',
    'version',
    'deleted_at',
  ],
};

/** The HXL hashtag of each column (https://hxlstandard.org). */
const HXL: Record<Resource, string[]> = {
  sources: [
    '#org+id',
    '#org+name',
    '#org+acronym',
    '#org+type',
    '#meta+url',
    '#country+code',
    '#org+group',
    '#meta+reliability',
    '#org+party',
    '#meta+protected',
    '#meta+notes',
    '#date+created',
    '#date+updated',
    '#meta+version',
    '#date+deleted',
  ],
  incidents: [
    '#event+id',
    '#event+code',
    '#event+name',
    '#description',
    '#event+type',
    '#event+type+sub',
    '#date+start',
    '#date+end',
    '#date+precision',
    '#country+code',
    '#adm1+name',
    '#adm2+name',
    '#adm3+name',
    '#loc+name',
    '#geo+lat',
    '#geo+lon',
    '#geo+precision',
    '#status',
    ...[
      '#affected+killed',
      '#affected+killed+civilians',
      '#affected+killed+combatants',
      '#affected+injured',
      '#affected+detained',
      '#affected+missing',
    ].flatMap((h) => [`${h}+min`, h, `${h}+max`]),
    '#actor+name',
    '#meta+tags',
    '#event+id+parent',
    '#event+id+duplicate',
    '#meta+id+external',
    '#status+verification',
    '#date+created',
    '#date+updated',
    '#meta+version',
    '#date+deleted',
  ],
  claims: [
    '#meta+id',
    '#event+id',
    '#org+id',
    '#meta+stance',
    '#description',
    '#meta+lang',
    '#description+translated',
    '#date+reported',
    '#meta+url',
    '#meta+url+archive',
    '#meta+hash',
    '#affected+killed',
    '#affected+killed+civilians',
    '#affected+killed+combatants',
    '#affected+injured',
    '#affected+detained',
    '#affected+missing',
    '#meta+minimum',
    '#meta+credibility',
    '#status+review',
    '#meta+review_note',
    '#date+created',
    '#date+updated',
    '#meta+version',
    '#date+deleted',
  ],
};

/** What a JSON value becomes in a CSV cell: booleans as words, null as an empty cell. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** The cell of one column for a record, from its JSON representation. */
function csvValue(resource: Resource, record: Json, column: string): string {
  if (resource === 'incidents') {
    const figure = /^(.+)_(low|best|high)$/.exec(column);
    if (figure && (FIGURES as readonly string[]).includes(figure[1]!)) {
      const casualties = record.casualties as Record<string, Record<string, number> | null>;
      return cell(casualties[figure[1]!]?.[figure[2]!]);
    }
    if (column === 'actors')
      return (record.actors as { name: string; role: string }[])
        .map((a) => `${a.name} (${a.role})`)
        .join('; ');
    if (column === 'tags') return (record.tags as string[]).join('; ');
    if (column === 'external_ids')
      return (record.external_ids as { system: string; id: string }[])
        .map((e) => `${e.system}:${e.id}`)
        .join('; ');
    if (column === 'verification') return cell((record.verification as { status: string } | null)?.status);
  }
  return cell(record[column]);
}

const expectedRows = (resource: Resource, records: Json[], columns: string[]) =>
  records.map((r) => columns.map((c) => csvValue(resource, r, c)));

const parseCsv = (text: string): string[][] => parse(text, { relax_column_count: false });

/** Every record of a resource as JSON, one page. */
async function jsonList(resource: Resource, query = ''): Promise<Json[]> {
  const res = await t.http.get(`/v1/${resource}?limit=1000${query}`).expect(200);
  expect(res.body.next_cursor).toBeNull();
  return res.body.data;
}

/** Every format read as text, whatever its content type. */
async function getText(url: string, accept?: string) {
  const req = t.http.get(url).buffer(true).parse(asText);
  if (accept !== undefined) req.set('accept', accept);
  const res = await req;
  return { status: res.status, headers: res.headers as Record<string, string>, text: res.body as string };
}

function ndjsonLines(text: string): unknown[] {
  expect(text.endsWith('\n') || text === '').toBe(true);
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line));
}

/** RFC 7946 §3.3: a FeatureCollection of Features whose geometry is null or a Point [lon, lat] in range. */
function expectFeatureCollection(body: unknown): { id: string; geometry: unknown; properties: Json }[] {
  const collection = body as Record<string, unknown>;
  expect(collection.type).toBe('FeatureCollection');
  expect(Array.isArray(collection.features)).toBe(true);
  // RFC 7946 removed the crs member: coordinates are WGS 84 longitude, latitude.
  expect(collection).not.toHaveProperty('crs');
  for (const feature of collection.features as Record<string, unknown>[]) {
    expect(feature.type).toBe('Feature');
    expect(Object.keys(feature)).toEqual(expect.arrayContaining(['type', 'geometry', 'properties']));
    expect(typeof feature.id === 'string' || typeof feature.id === 'number').toBe(true);
    const geometry = feature.geometry as { type: string; coordinates: unknown } | null;
    if (geometry !== null) {
      expect(geometry.type).toBe('Point');
      const coordinates = geometry.coordinates as number[];
      expect(coordinates).toHaveLength(2);
      const [lon, lat] = coordinates as [number, number];
      expect(Number.isFinite(lon) && lon >= -180 && lon <= 180).toBe(true);
      expect(Number.isFinite(lat) && lat >= -90 && lat <= 90).toBe(true);
    }
    expect(typeof feature.properties === 'object').toBe(true);
  }
  return collection.features as { id: string; geometry: unknown; properties: Json }[];
}

function expectGeometryOf(feature: { geometry: unknown }, incident: Json) {
  expect(feature.geometry).toEqual(
    incident.latitude === null
      ? null
      : { type: 'Point', coordinates: [incident.longitude, incident.latitude] },
  );
}

// Text that CSV must quote and escape, and that must survive every format.
const TRICKY_NOTES = 'First line, with a comma\nsecond "quoted" line\r\nthird: ; tab\there';
const ARABIC_STATEMENT = 'قُتل نحو ٤٠ مدنياً، "إعدامات ميدانية"\nفي ساحة القرية';

let monitor: Json;
let ministry: Json;
let witness: Json;
let executions: Json;
let noPlace: Json;
let fiji: Json;
let deleted: Json;

beforeAll(async () => {
  t = await createTestApp();
  monitor = await createSource(t.http, {
    name: 'Syrian Network for Human Rights, "SNHR"',
    acronym: 'SNHR',
    kind: 'monitor',
    url: 'https://snhr.org/reports?id=1,2',
    country: 'SYR',
    reliability: 'B',
    notes: TRICKY_NOTES,
  });
  ministry = await createSource(t.http, {
    name: 'وزارة الداخلية',
    kind: 'government',
    independence_group: 'state',
    reliability: 'E',
    party_to_conflict: true,
  });
  witness = await createSource(t.http, {
    name: 'Resident; "Abu Ahmad"\nal-Mukhtariya',
    kind: 'witness',
    protected: false,
  });
  executions = await createIncident(t.http, {
    title: 'Executions in al-Mukhtariya, "the square"',
    summary: 'About 40 civilians\nexecuted together; videos show the bodies.',
    category: 'violence_against_civilians',
    subcategory: 'mass_killing',
    occurred_from: '2025-03-07',
    occurred_to: '2025-03-08',
    country: 'SYR',
    admin1: 'Latakia',
    admin2: 'Jableh',
    place: 'المختارية',
    latitude: 35.4,
    longitude: 35.95,
    geo_precision: 'near',
    actors: [
      { name: 'Unidentified gunmen', role: 'perpetrator' },
      { name: 'Civilians, mostly "Alawite"', role: 'target' },
    ],
    tags: ['coastal violence 2025', 'mass grave'],
    external_ids: [
      { system: 'acled', id: 'SYR12345' },
      { system: 'ucdp_ged', id: '556677' },
    ],
  });
  noPlace = await createIncident(t.http, { title: 'Report without a place', occurred_from: '2024-11-02' });
  fiji = await createIncident(t.http, {
    title: 'Riot in Labasa',
    category: 'riot',
    occurred_from: '2025-01-15',
    country: 'FJI',
    latitude: -16.43,
    longitude: -179.38,
    geo_precision: 'exact',
  });
  deleted = await createIncident(t.http, {
    title: 'Entered twice',
    occurred_from: '2025-03-07',
    country: 'SYR',
  });
  await t.http.delete(`/v1/incidents/${deleted.id}`).expect(204);

  await createClaim(t.http, executions.id, monitor.id, {
    statement: ARABIC_STATEMENT,
    language: 'ar',
    translation: 'About 40 civilians, "field executions",\nin the village square',
    published_at: '2025-03-08T10:00:00Z',
    url: 'https://snhr.org/r/1',
    killed: 40,
    killed_civilians: 40,
    figures_are_minimum: true,
    credibility: 2,
    review_status: 'accepted',
    review_note: 'Matches the videos, checked by two analysts',
  });
  await createClaim(t.http, executions.id, ministry.id, {
    statement: '"Individual violations"',
    killed: 12,
    injured: 3,
    review_status: 'accepted',
  });
  await createClaim(t.http, fiji.id, witness.id, { statement: null, killed: 0 });
  // Read back with the derived status and casualties.
  executions = (await t.http.get(`/v1/incidents/${executions.id}`).expect(200)).body;
  fiji = (await t.http.get(`/v1/incidents/${fiji.id}`).expect(200)).body;
});
afterAll(() => t.close());

describe('CSV', () => {
  test('the data holds what CSV must escape: commas, quotes, newlines, non-Latin text, booleans, nulls', () => {
    expect(monitor.notes).toBe(TRICKY_NOTES);
    expect(ministry.party_to_conflict).toBe(true);
    expect(ministry.acronym).toBeNull();
    expect(executions.status).toBe('corroborated');
    expect((executions.casualties as Record<string, unknown>).killed).toMatchObject({
      low: 12,
      best: 40,
      high: 40,
    });
  });

  describe.each(RESOURCES)('%s', (resource) => {
    test.each(['list', 'export'])('%s: parses back to the JSON records, column by column', async (kind) => {
      const records = await jsonList(resource, '&include_deleted=true');
      const url =
        kind === 'list'
          ? `/v1/${resource}?limit=1000&include_deleted=true&format=csv`
          : `/v1/export/${resource}?include_deleted=true&format=csv`;
      const res = await getText(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const [header, ...rows] = parseCsv(res.text);
      expect(header).toEqual(COLUMNS[resource]);
      expect(rows).toEqual(expectedRows(resource, records, COLUMNS[resource]));
      expect(rows.length).toBe(resource === 'sources' ? 3 : resource === 'incidents' ? 4 : 3);
    });

    test.each(['list', 'export'])('%s: hxl=true puts the hashtag row under the header', async (kind) => {
      const records = await jsonList(resource);
      const url =
        kind === 'list'
          ? `/v1/${resource}?limit=1000&format=csv&hxl=true`
          : `/v1/export/${resource}?format=csv&hxl=true`;
      const [header, hashtags, ...rows] = parseCsv((await getText(url)).text);
      expect(header).toEqual(COLUMNS[resource]);
      expect(hashtags).toEqual(HXL[resource]);
      expect(rows).toEqual(expectedRows(resource, records, COLUMNS[resource]));
      // Without hxl (or with hxl=false) the data follows the header directly.
      for (const hxl of ['', '&hxl=false']) {
        const [, first] = parseCsv((await getText(`${url.replace('&hxl=true', '')}${hxl}`)).text);
        expect(first).toEqual(expectedRows(resource, records, COLUMNS[resource])[0]);
      }
    });
  });

  test('cells read back exactly: quotes, newlines, Arabic, booleans as true/false, nulls as empty', async () => {
    const [header, ...rows] = parseCsv((await getText('/v1/sources?format=csv')).text);
    const byName = new Map(rows.map((r) => [r[header!.indexOf('name')]!, r]));
    const col = (row: string[] | undefined, name: string) => row![header!.indexOf(name)];
    const snhr = byName.get('Syrian Network for Human Rights, "SNHR"');
    expect(col(snhr, 'notes')).toBe(TRICKY_NOTES);
    expect(col(snhr, 'url')).toBe('https://snhr.org/reports?id=1,2');
    expect(col(snhr, 'party_to_conflict')).toBe('false');
    const ministryRow = byName.get('وزارة الداخلية');
    expect(col(ministryRow, 'party_to_conflict')).toBe('true');
    expect(col(ministryRow, 'acronym')).toBe('');
    expect(col(ministryRow, 'deleted_at')).toBe('');
    expect(col(byName.get('Resident; "Abu Ahmad"\nal-Mukhtariya'), 'kind')).toBe('witness');

    const [claimHeader, ...claimRows] = parseCsv((await getText('/v1/claims?format=csv')).text);
    const statements = claimRows.map((r) => r[claimHeader!.indexOf('statement')]);
    expect(statements).toEqual(expect.arrayContaining([ARABIC_STATEMENT, '"Individual violations"', '']));
    const minimum = claimRows.map((r) => r[claimHeader!.indexOf('figures_are_minimum')]).sort();
    expect(minimum).toEqual(['false', 'false', 'true']);
  });

  test('incident casualties are flattened into low/best/high per figure; actors, tags, external ids joined', async () => {
    const [header, ...rows] = parseCsv((await getText(`/v1/incidents?format=csv&country=SYR`)).text);
    expect(rows).toHaveLength(1);
    const row = Object.fromEntries(header!.map((h, i) => [h, rows[0]![i]]));
    expect(row).toMatchObject({
      killed_low: '12',
      killed_best: '40',
      killed_high: '40',
      killed_civilians_low: '40',
      killed_civilians_best: '40',
      injured_low: '3',
      injured_best: '3',
      injured_high: '3',
      detained_low: '',
      missing_high: '',
      actors: 'Unidentified gunmen (perpetrator); Civilians, mostly "Alawite" (target)',
      tags: 'coastal violence 2025; mass grave',
      external_ids: 'acled:SYR12345; ucdp_ged:556677',
      place: 'المختارية',
      latitude: '35.4',
      longitude: '35.95',
      verification: '',
      summary: 'About 40 civilians\nexecuted together; videos show the bodies.',
    });
  });
});

describe('NDJSON', () => {
  describe.each(RESOURCES)('%s', (resource) => {
    test.each(['list', 'export'])('%s: one JSON record per line, equal to the JSON records', async (kind) => {
      const records = await jsonList(resource, '&include_deleted=true');
      const url =
        kind === 'list'
          ? `/v1/${resource}?limit=1000&include_deleted=true&format=ndjson`
          : `/v1/export/${resource}?include_deleted=true&format=ndjson`;
      const res = await getText(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      expect(ndjsonLines(res.text)).toEqual(records);
    });
  });
});

describe('GeoJSON', () => {
  test.each(['list', 'export'])(
    '%s: an RFC 7946 FeatureCollection whose features are the incidents',
    async (kind) => {
      const records = await jsonList('incidents', '&include_deleted=true');
      const url =
        kind === 'list'
          ? '/v1/incidents?limit=1000&include_deleted=true&format=geojson'
          : '/v1/export/incidents?include_deleted=true&format=geojson';
      const res = await getText(url);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/geo\+json(; charset=utf-8)?$/);
      const body = JSON.parse(res.text);
      const features = expectFeatureCollection(body);
      expect(features.map((f) => f.id)).toEqual(records.map((r) => r.id));
      features.forEach((feature, i) => {
        expect(feature.properties).toEqual(records[i]);
        expectGeometryOf(feature, records[i]!);
      });
      // [longitude, latitude], west of the antimeridian included; no coordinates: null geometry.
      expect(features.find((f) => f.id === fiji.id)!.geometry).toEqual({
        type: 'Point',
        coordinates: [-179.38, -16.43],
      });
      expect(features.find((f) => f.id === executions.id)!.geometry).toEqual({
        type: 'Point',
        coordinates: [35.95, 35.4],
      });
      expect(features.find((f) => f.id === noPlace.id)!.geometry).toBeNull();
      if (kind === 'list') expect(body.next_cursor).toBeNull();
    },
  );

  test.each(['sources', 'claims'])(
    '%s have no location: format=geojson is invalid, Accept geo+json is 406',
    async (resource) => {
      for (const path of [`/v1/${resource}`, `/v1/export/${resource}`]) {
        const invalid = await t.http.get(`${path}?format=geojson`);
        expect(invalid.status).toBe(400);
        expect(invalid.body.errors).toEqual([{ path: 'query.format', message: expect.any(String) }]);
        const refused = await t.http.get(path).set('accept', 'application/geo+json');
        expectProblem(refused, {
          type: '/problems/not-acceptable',
          title: 'Not Acceptable',
          status: 406,
          detail:
            'None of the media types in Accept is available here; use one of application/json, application/x-ndjson, text/csv (or format=).',
        });
      }
    },
  );
});

describe('fields=', () => {
  test('reads return the id and the fields asked for, nothing else, as JSON', async () => {
    const claims = await jsonList('claims');
    const reads: [string, Json][] = [
      [
        `/v1/incidents/${executions.id}?fields=ref,title,casualties`,
        {
          id: executions.id,
          ref: executions.ref,
          title: executions.title,
          casualties: executions.casualties,
        },
      ],
      [
        `/v1/sources/${ministry.id}?fields=name,party_to_conflict`,
        { id: ministry.id, name: 'وزارة الداخلية', party_to_conflict: true },
      ],
      [
        `/v1/claims/${claims[0]!.id}?fields=killed,statement`,
        { id: claims[0]!.id, killed: claims[0]!.killed, statement: claims[0]!.statement },
      ],
    ];
    for (const [url, expected] of reads) {
      const res = await getText(url);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual(expected);
      expect(res.headers['content-type']).toMatch(/^application\/json(; charset=utf-8)?$/);
    }
  });

  test('an unknown field is a validation problem', async () => {
    const res = await t.http.get(`/v1/incidents/${executions.id}?fields=title,password`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ type: '/problems/validation', status: 400 });
    expect(res.body.errors).toEqual([
      { path: expect.stringMatching(/^query\.fields/), message: expect.any(String) },
    ]);
  });

  const pick = (record: Json, fields: string[]) =>
    Object.fromEntries([['id', record.id], ...fields.map((f) => [f, record[f]])]);

  describe.each([
    ['sources', ['name', 'protected']],
    ['incidents', ['ref', 'status', 'casualties']],
    // (killed on claims has a test of its own below)
    ['claims', ['statement', 'review_status', 'figures_are_minimum']],
  ] as [Resource, string[]][])('%s', (resource, fields) => {
    test.each(['list', 'export'])(
      '%s: JSON, NDJSON, CSV (and GeoJSON) carry only those fields',
      async (kind) => {
        const records = await jsonList(resource);
        const base = kind === 'list' ? `/v1/${resource}?limit=1000&` : `/v1/export/${resource}?`;
        const q = `fields=${fields.join(',')}`;
        const expected = records.map((r) => pick(r, fields));

        const json = await getText(`${base}${q}`);
        expect(kind === 'list' ? JSON.parse(json.text).data : JSON.parse(json.text)).toEqual(expected);

        expect(ndjsonLines((await getText(`${base}${q}&format=ndjson`)).text)).toEqual(expected);

        // CSV: the columns of those fields, in the usual order; casualties are its flattened figure columns.
        const columns = COLUMNS[resource].filter(
          (c) =>
            c === 'id' || fields.includes(c) || (fields.includes('casualties') && FIGURE_COLUMNS.includes(c)),
        );
        const [header, hashtags, ...rows] = parseCsv((await getText(`${base}${q}&format=csv&hxl=true`)).text);
        expect(header).toEqual(columns);
        expect(hashtags).toEqual(columns.map((c) => HXL[resource][COLUMNS[resource].indexOf(c)]));
        expect(rows).toEqual(expectedRows(resource, records, columns));

        if (resource === 'incidents') {
          const features = expectFeatureCollection(
            JSON.parse((await getText(`${base}${q}&format=geojson`)).text),
          );
          features.forEach((feature, i) => {
            expect(feature.properties).toEqual(expected[i]);
            // The geometry does not depend on the fields asked for.
            expectGeometryOf(feature, records[i]!);
          });
        }
      },
    );
  });

  test('CSV fields=casualties selects the 18 figure columns (and the id)', async () => {
    const [header] = parseCsv((await getText('/v1/incidents?format=csv&fields=casualties')).text);
    expect(header).toEqual(['id', ...FIGURE_COLUMNS]);
  });

  test('CSV fields=killed on claims selects the killed column only, not killed_civilians or killed_combatants', async () => {
    const records = await jsonList('claims');
    for (const url of ['/v1/claims?format=csv&fields=killed', '/v1/export/claims?format=csv&fields=killed']) {
      const [header, ...rows] = parseCsv((await getText(url)).text);
      expect(header).toEqual(['id', 'killed']);
      expect(rows).toEqual(records.map((r) => [r.id, cell(r.killed)]));
    }
  });
});

describe('content negotiation', () => {
  const FORMAT_OF: Record<string, string> = {
    'application/json': 'json',
    'application/json; charset=utf-8': 'json',
    'application/x-ndjson; charset=utf-8': 'ndjson',
    'text/csv; charset=utf-8': 'csv',
    'application/geo+json': 'geojson',
    'application/geo+json; charset=utf-8': 'geojson',
  };

  test.each([
    ['application/json', 'json'],
    ['application/x-ndjson', 'ndjson'],
    ['application/ndjson', 'ndjson'],
    ['text/csv', 'csv'],
    ['application/geo+json', 'geojson'],
    ['*/*', 'json'],
    ['application/*', 'json'],
    ['TEXT/CSV', 'csv'],
    ['text/csv; charset=utf-8', 'csv'],
    ['text/csv;q=0.5, application/geo+json;q=0.9', 'geojson'],
    ['application/geo+json;q=0, text/csv', 'csv'],
    ['text/html, application/xhtml+xml, */*;q=0.8', 'json'],
    ['application/xml, text/csv;q=0.1', 'csv'],
    ['application/x-ndjson;q=0.5, text/csv;q=0.5', 'ndjson'],
    ['text/*', 'csv'],
  ])('Accept: %s → %s', async (accept, format) => {
    for (const path of ['/v1/incidents', '/v1/export/incidents']) {
      const res = await getText(path, accept);
      expect(res.status).toBe(200);
      expect(FORMAT_OF[res.headers['content-type']!]).toBe(format);
    }
  });

  test.each(['application/xml', 'text/html', 'application/json;q=0', 'image/png, text/plain;q=0.9'])(
    'Accept: %s names nothing this API speaks: 406 problem',
    async (accept) => {
      for (const path of ['/v1/incidents', '/v1/export/incidents']) {
        const res = await t.http.get(path).set('accept', accept);
        expectProblem(res, {
          type: '/problems/not-acceptable',
          title: 'Not Acceptable',
          status: 406,
          detail:
            'None of the media types in Accept is available here; use one of application/json, application/x-ndjson, text/csv, application/geo+json (or format=).',
        });
      }
    },
  );

  test('format= overrides Accept, even an Accept that would be 406', async () => {
    for (const path of ['/v1/incidents', '/v1/export/incidents']) {
      expect((await getText(`${path}?format=ndjson`, 'text/csv')).headers['content-type']).toBe(
        'application/x-ndjson; charset=utf-8',
      );
      expect((await getText(`${path}?format=csv`, 'application/xml')).headers['content-type']).toBe(
        'text/csv; charset=utf-8',
      );
      const json = await getText(`${path}?format=json`, 'text/csv');
      expect(json.headers['content-type']).toMatch(/^application\/json(; charset=utf-8)?$/);
      expect(JSON.parse(json.text)).toEqual(
        path === '/v1/incidents' ? expect.objectContaining({ data: expect.any(Array) }) : expect.any(Array),
      );
    }
  });

  test('an unknown format= is a validation problem', async () => {
    const res = await t.http.get('/v1/incidents?format=xml');
    expectProblem(
      res,
      validationProblem('query', [{ path: 'query.format', message: res.body.errors?.[0]?.message }]),
    );
    expect(res.body.errors[0].message).toMatch(/json/);
  });
});

describe('Link header on non-JSON pages', () => {
  test.each(['ndjson', 'csv', 'geojson'])(
    'format=%s: Link rel=next leads through every page',
    async (format) => {
      const all = (await jsonList('incidents', '&include_deleted=true&sort=created_at')).map((r) => r.id);
      let url: string | null = `/v1/incidents?format=${format}&limit=1&include_deleted=true&sort=created_at`;
      const seen: string[] = [];
      while (url) {
        const res = await getText(url);
        expect(res.status).toBe(200);
        const ids =
          format === 'ndjson'
            ? (ndjsonLines(res.text) as Json[]).map((r) => r.id)
            : format === 'csv'
              ? parseCsv(res.text)
                  .slice(1)
                  .map((r) => r[0]!)
              : expectFeatureCollection(JSON.parse(res.text)).map((f) => f.id);
        expect(ids).toHaveLength(1);
        seen.push(...ids);
        const link = res.headers.link;
        if (seen.length < all.length) {
          const target = linkTargets(link).next;
          expect(target).toBeDefined();
          const next = new URL(target!);
          // Every other parameter is kept, so the next page comes in the same format and order.
          expect(next.searchParams.get('format')).toBe(format);
          expect(next.searchParams.get('sort')).toBe('created_at');
          expect(next.searchParams.get('cursor')).toMatch(/^[A-Za-z0-9_-]+$/);
          if (format === 'geojson')
            expect(JSON.parse(res.text).next_cursor).toBe(next.searchParams.get('cursor'));
          url = `${next.pathname}${next.search}`;
        } else {
          expect(linkTargets(link).next).toBeUndefined();
          url = null;
        }
      }
      expect(seen).toEqual(all);
    },
  );
});

describe('exports', () => {
  test.each([
    ['sources', 'json'],
    ['sources', 'ndjson'],
    ['sources', 'csv'],
    ['claims', 'csv'],
    ['incidents', 'json'],
    ['incidents', 'geojson'],
    ['incidents', 'ndjson'],
  ])('%s as %s: an attachment named after the collection', async (resource, format) => {
    const res = await getText(`/v1/export/${resource}?format=${format}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${resource}.${format}"`);
  });

  test('the JSON export is an array equal to the list; empty when nothing matches', async () => {
    const records = await jsonList('incidents');
    const res = await getText('/v1/export/incidents');
    expect(res.headers['content-type']).toMatch(/^application\/json(; charset=utf-8)?$/);
    expect(JSON.parse(res.text)).toEqual(records);
    expect(JSON.parse((await getText('/v1/export/incidents?country=NZL')).text)).toEqual([]);
    expect(JSON.parse((await getText('/v1/export/incidents?country=NZL&format=geojson')).text)).toEqual({
      type: 'FeatureCollection',
      features: [],
    });
    expect((await getText('/v1/export/incidents?country=NZL&format=ndjson')).text).toBe('');
    expect(parseCsv((await getText('/v1/export/incidents?country=NZL&format=csv')).text)).toEqual([
      COLUMNS.incidents,
    ]);
  });

  test('filters apply: incidents, claims and sources', async () => {
    const ids = (text: string) => (JSON.parse(text) as Json[]).map((r) => r.id).sort();
    expect(ids((await getText('/v1/export/incidents?country=SYR')).text)).toEqual([executions.id]);
    expect(ids((await getText('/v1/export/incidents?country=SYR&include_deleted=true')).text)).toEqual(
      [executions.id, deleted.id].sort(),
    );
    expect(
      ids((await getText('/v1/export/incidents?status=corroborated,unverified&bbox=-180,-20,-170,0')).text),
    ).toEqual([fiji.id]);
    expect(ids((await getText('/v1/export/incidents?q=executions')).text)).toEqual([executions.id]);
    const accepted = ids((await getText('/v1/export/claims?review_status=accepted')).text);
    expect(accepted).toEqual((await jsonList('claims', '&review_status=accepted')).map((c) => c.id).sort());
    expect(accepted).toHaveLength(2);
    expect(ids((await getText(`/v1/export/claims?source_id=${witness.id}`)).text)).toHaveLength(1);
    expect(ids((await getText('/v1/export/sources?kind=government,witness')).text)).toEqual(
      [ministry.id, witness.id].sort(),
    );
  });
});

describe('exports larger than one batch', () => {
  // Exports read in keyset batches of 1000. On the server, more than two batches' worth of sources; on the
  // embedded database, where each write is slower, just over one batch, so one seam between batches is crossed.
  const BATCH = EXPORT_BATCH;
  let COUNT: number;
  let big: TestApp;
  let ids: string[];

  beforeAll(async () => {
    big = await createTestApp();
    COUNT = big.database.driver === 'postgres' ? 2 * BATCH + 150 : BATCH + 30;
    ids = [];
    for (let start = 0; start < COUNT; start += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, COUNT - start) }, (_, k) =>
          createSource(big.http, {
            name: `Local monitor ${start + k}, "district" ${start + k}`,
            kind: (start + k) % 3 === 0 ? 'ngo' : 'monitor',
          }),
        ),
      );
      ids.push(...batch.map((s) => s.id as string));
    }
  }, 300_000);
  afterAll(() => big.close());

  async function exported(query: string) {
    const res = await big.http.get(`/v1/export/sources?${query}`).buffer(true).parse(asText);
    expect(res.status).toBe(200);
    return res.body as string;
  }

  const expectEachOnce = (got: string[], expected: string[]) => {
    expect(got).toHaveLength(expected.length);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...expected].sort());
  };

  test('JSON: one array with every record exactly once, in list order', async () => {
    expect(ids.length).toBeGreaterThan(BATCH);
    const records = JSON.parse(await exported('')) as Json[];
    expectEachOnce(
      records.map((r) => r.id),
      ids,
    );
    // The batches join in the list's order (created_at, id), with no gap or overlap at their seams.
    const sorted = [...records].sort((a, b) =>
      a.created_at === b.created_at
        ? a.id < b.id
          ? -1
          : 1
        : (a.created_at as string) < (b.created_at as string)
          ? -1
          : 1,
    );
    expect(records.map((r) => r.id)).toEqual(sorted.map((r) => r.id));
  });

  test('NDJSON, CSV (with HXL) and a filter: every matching record exactly once', async () => {
    expectEachOnce(
      ndjsonLines(await exported('format=ndjson')).map((r) => (r as Json).id),
      ids,
    );
    const [header, hashtags, ...rows] = parseCsv(await exported('format=csv&hxl=true'));
    expect(header).toEqual(COLUMNS.sources);
    expect(hashtags).toEqual(HXL.sources);
    expectEachOnce(
      rows.map((r) => r[0]!),
      ids,
    );
    const ngos = ids.filter((_, i) => i % 3 === 0);
    expect(ngos.length).toBe(Math.ceil(COUNT / 3));
    expectEachOnce(
      (JSON.parse(await exported('kind=ngo&fields=kind')) as Json[]).map((r) => {
        expect(r).toEqual({ id: r.id, kind: 'ngo' });
        return r.id;
      }),
      ngos,
    );
  });
});

// On the server, exports are formatted by PostgreSQL and read through a cursor, while list pages are formatted
// here; on the embedded database both are formatted here. Either way an export must equal the list.
describe('incident exports equal the list in every format', () => {
  beforeAll(async () => {
    const ruled = await createIncident(t.http, {
      title: 'Shelling of the market, ruled on',
      category: 'explosion_remote_violence',
      subcategory: 'shelling',
      occurred_from: '2024-06-01',
      date_precision: 'month',
      country: 'UKR',
      latitude: 0.000001,
      longitude: -0.5,
      geo_precision: 'exact',
      tags: ['market'],
    });
    await createClaim(t.http, ruled.id, monitor.id, { killed: 7, injured: 20, review_status: 'accepted' });
    await t.http
      .post(`/v1/incidents/${ruled.id}/verification`)
      .send({ status: 'verified', rationale: 'Site visit, "photos"; and the hospital\nregister' })
      .expect(200);
  });

  const QUERIES = [
    '',
    'include_deleted=true',
    'sort=-killed',
    'sort=occurred_from&country=SYR,UKR',
    'q=executions',
    'fields=title,casualties,actors,verification',
    'fields=external_ids,tags,created_at',
  ];

  test.each(QUERIES)('?%s', async (query) => {
    const list = async (format: string) =>
      (await getText(`/v1/incidents?limit=1000&format=${format}&${query}`)).text;
    const exported = async (format: string) => {
      const res = await getText(`/v1/export/incidents?format=${format}&${query}`);
      expect(res.status).toBe(200);
      return res.text;
    };
    const page = JSON.parse(await list('json')) as { data: Json[]; next_cursor: string | null };
    expect(page.next_cursor).toBeNull();
    expect(page.data.length).toBeGreaterThan(0);
    expect(JSON.parse(await exported('json'))).toEqual(page.data);
    expect(ndjsonLines(await exported('ndjson'))).toEqual(ndjsonLines(await list('ndjson')));
    expect(parseCsv(await exported('csv'))).toEqual(parseCsv(await list('csv')));
    expect(parseCsv(await exported('csv&hxl=true'))).toEqual(parseCsv(await list('csv&hxl=true')));
    const { next_cursor: _next, ...listed } = JSON.parse(await list('geojson')) as Json;
    expect(JSON.parse(await exported('geojson'))).toEqual(listed);
  });
});
