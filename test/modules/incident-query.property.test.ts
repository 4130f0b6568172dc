import { searchQuery } from '../../src/db/search';
import { searchVectorOf } from '../../src/db/schema/columns';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { INCIDENT_CATEGORIES, INCIDENT_STATUSES, INCIDENT_SUBCATEGORIES } from '../../src/domain/vocabulary';
import { INCIDENT_SORTS } from '../../src/modules/incidents/incident-schemas';
import { createTestApp, type TestApp } from '../helpers/app';
import { createClaim, createIncident, createSource, linkTargets } from '../helpers/factories';

/**
 * The incident list against an oracle: a random set of incidents is created through the API once, then random
 * filter combinations are asked for in every sort order, page by page, and compared with the same filter and
 * order computed here in plain TypeScript over the records as the API stores them.
 */

let t: TestApp;

// The data set is drawn once from a fixed seed, so a failing filter can be replayed against the same records.
const DATA_SEED = 7_032_025;
const INCIDENT_COUNT = 72;

/** Words planted in titles, summaries, places and claim statements for q; nothing else contains them. */
const TOKENS = ['zephyr', 'quartz', 'lantern', 'orchid', 'falcon', 'cobalt'] as const;
/** Other words of the texts: each is one search token (no hyphens or punctuation), Arabic included. */
const FILLER = ['shelling', 'market', 'village', 'road', 'clinic', 'night', 'مجزرة', 'القرية'] as const;
const PLACES = ['Mukhtariya', 'Baniyas', 'Jableh Port', 'Cobalt Hill', 'Taveuni', 'جبلة'] as const;
const COUNTRIES = ['SYR', 'LBN', 'IRQ', 'FJI', 'NZL'] as const;
const ADMIN1 = ['Latakia', 'Tartus', 'Northern', 'Eastern'] as const;
const ADMIN2 = ['Jableh', 'Baniyas', 'Qardaha', 'Cakaudrove'] as const;
const ACTORS = [
  'Unidentified gunmen',
  'Security forces',
  'Civilians',
  'Local militia',
  'قوات الأمن العام',
] as const;
const ROLES = ['perpetrator', 'target', 'other'] as const;
const TAGS = ['coastal violence 2025', 'mass grave', 'idp', 'عدالة', 'needs-review'] as const;
const KILLED = [0, 3, 12, 40, 125, 240] as const;

/** Sources of every reliability rank and independence: a ministry and state TV share a group. */
const SOURCES = [
  { name: 'Syrian Network for Human Rights', kind: 'monitor', reliability: 'B' },
  {
    name: 'Ministry of Interior',
    kind: 'government',
    reliability: 'E',
    independence_group: 'state',
    party_to_conflict: true,
  },
  { name: 'State television', kind: 'state_media', reliability: 'D', independence_group: 'state' },
  { name: 'Resident of the village', kind: 'witness', reliability: 'F' },
  { name: 'Airwars', kind: 'ngo', reliability: 'A' },
] as const;

// ---------------------------------------------------------------------------------------------------------
// The generated data

const words = (pool: readonly string[], min: number, max: number) =>
  fc.array(fc.constantFrom(...pool), { minLength: min, maxLength: max }).map((w) => w.join(' '));

const textWords = [...FILLER, ...TOKENS];
const maybe = <T>(arb: fc.Arbitrary<T>, weightOfNull = 1, weightOfValue = 2) =>
  fc.oneof({ weight: weightOfNull, arbitrary: fc.constant(null) }, { weight: weightOfValue, arbitrary: arb });

// + 0 turns -0 into 0, as JSON does.
const round6 = (x: number) => Math.round(x * 1e6) / 1e6 + 0;
const between = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map(round6);

const coordinatesArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  // The Syrian coast.
  { weight: 4, arbitrary: fc.tuple(between(34.5, 36.5), between(35.5, 36.5)) },
  // Fiji, on both sides of the antimeridian, and on it.
  { weight: 3, arbitrary: fc.tuple(between(-19, -15), between(177, 180)) },
  { weight: 3, arbitrary: fc.tuple(between(-19, -15), between(-180, -178)) },
  { weight: 1, arbitrary: fc.tuple(between(-19, -15), fc.constantFrom(180, -180)) },
  // Anywhere.
  { weight: 2, arbitrary: fc.tuple(between(-85, 85), between(-180, 180)) },
);

const DAY = 86_400_000;
const dateAfter = (start: string, days: number) =>
  new Date(Date.parse(`${start}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

const claimArb = fc.record({
  source: fc.nat({ max: SOURCES.length - 1 }),
  stance: fc.constantFrom('supports', 'supports', 'supports', 'contradicts'),
  review_status: fc.constantFrom('accepted', 'accepted', 'pending', 'rejected'),
  killed: maybe(fc.constantFrom(...KILLED), 1, 3),
  statement: maybe(words(textWords, 1, 6)),
  translation: maybe(words(textWords, 1, 4), 3, 1),
  deleted: fc.oneof(
    { weight: 5, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

const incidentArb = fc.record({
  title: words(textWords, 1, 5),
  summary: maybe(words(textWords, 1, 8)),
  place: maybe(fc.constantFrom(...PLACES)),
  category: fc.constantFrom(...INCIDENT_CATEGORIES),
  subcategory: maybe(fc.constantFrom(...INCIDENT_SUBCATEGORIES), 1, 3),
  start: fc.nat({ max: 75 }),
  length: fc.constantFrom(0, 0, 0, 1, 3, 10),
  country: maybe(fc.constantFrom(...COUNTRIES), 1, 5),
  admin1: maybe(fc.constantFrom(...ADMIN1)),
  admin2: maybe(fc.constantFrom(...ADMIN2)),
  coordinates: coordinatesArb,
  actors: fc.uniqueArray(fc.tuple(fc.constantFrom(...ACTORS), fc.constantFrom(...ROLES)), {
    maxLength: 3,
    selector: ([name]) => name,
  }),
  tags: fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }),
  claims: fc.array(claimArb, { maxLength: 4 }),
  retitle: fc.oneof(
    { weight: 5, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: words(textWords, 1, 4) },
  ),
  // A verifier's ruling on one incident in twelve, a deletion (its claims first) on one in twelve.
  ruling: fc.oneof(
    { weight: 10, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant('verified' as const) },
    { weight: 1, arbitrary: fc.constant('discredited' as const) },
  ),
  deleted: fc.oneof(
    { weight: 11, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  ),
});

type Generated = typeof incidentArb extends fc.Arbitrary<infer T> ? T : never;

/** An incident as the oracle sees it: the API's own record plus its live claims. */
interface Stored {
  id: string;
  title: string;
  summary: string | null;
  place: string | null;
  category: string;
  subcategory: string | null;
  status: string;
  country: string | null;
  admin1: string | null;
  admin2: string | null;
  occurred_from: string;
  occurred_to: string;
  latitude: number | null;
  longitude: number | null;
  actors: { name: string; role: string }[];
  tags: string[];
  casualties: { killed: { best: number } | null };
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  liveClaims: { source_id: string; statement: string | null; translation: string | null }[];
}

let sourceIds: string[] = [];
let stored: Stored[] = [];

async function inBatches<T>(items: T[], size: number, run: (item: T, index: number) => Promise<unknown>) {
  for (let start = 0; start < items.length; start += size) {
    await Promise.all(items.slice(start, start + size).map((item, k) => run(item, start + k)));
  }
}

beforeAll(async () => {
  t = await createTestApp();
  sourceIds = [];
  for (const source of SOURCES) sourceIds.push((await createSource(t.http, source)).id);

  const data: Generated[] = fc.sample(
    fc.array(incidentArb, { minLength: INCIDENT_COUNT, maxLength: INCIDENT_COUNT }),
    {
      seed: DATA_SEED,
      numRuns: 1,
    },
  )[0]!;
  const ids: string[] = new Array(data.length);
  // Created in parallel batches, so that several share a created_at and the id must break the tie.
  await inBatches(data, 8, async (g, i) => {
    const incident = await createIncident(t.http, {
      title: g.title,
      summary: g.summary,
      place: g.place,
      category: g.category,
      subcategory: g.subcategory,
      occurred_from: dateAfter('2025-01-01', g.start),
      occurred_to: dateAfter('2025-01-01', g.start + g.length),
      country: g.country,
      admin1: g.admin1,
      admin2: g.admin2,
      latitude: g.coordinates?.[0] ?? null,
      longitude: g.coordinates?.[1] ?? null,
      actors: g.actors.map(([name, role]) => ({ name, role })),
      tags: g.tags,
    });
    ids[i] = incident.id;
  });
  await inBatches(data, 8, async (g, i) => {
    for (const c of g.claims) {
      const claim = await createClaim(t.http, ids[i]!, sourceIds[c.source]!, {
        stance: c.stance,
        review_status: c.review_status,
        killed: c.killed,
        statement: c.statement,
        translation: c.translation,
      });
      if (c.deleted || g.deleted) await t.http.delete(`/v1/claims/${claim.id}`).expect(204);
    }
    if (g.retitle !== null)
      await t.http.patch(`/v1/incidents/${ids[i]}`).send({ title: g.retitle }).expect(200);
    if (g.ruling !== null)
      await t.http
        .post(`/v1/incidents/${ids[i]}/verification`)
        .send({ status: g.ruling, rationale: 'Footage geolocated by two analysts.' })
        .expect(200);
    if (g.deleted) await t.http.delete(`/v1/incidents/${ids[i]}`).expect(204);
  });

  // The oracle works on what the API stores, so derived status and casualties are the API's own.
  const incidents = await t.http
    .get('/v1/incidents?include_deleted=true&limit=1000&sort=created_at')
    .expect(200);
  const claims = await t.http.get('/v1/claims?include_deleted=true&limit=1000').expect(200);
  expect(incidents.body.next_cursor).toBeNull();
  expect(claims.body.next_cursor).toBeNull();
  expect(incidents.body.data).toHaveLength(INCIDENT_COUNT);
  expect(claims.body.data).toHaveLength(data.reduce((n, g) => n + g.claims.length, 0));
  const byId = new Map<string, Stored>(
    (incidents.body.data as Omit<Stored, 'liveClaims'>[]).map((i) => [i.id, { ...i, liveClaims: [] }]),
  );
  for (const c of claims.body.data) if (c.deleted_at === null) byId.get(c.incident_id)!.liveClaims.push(c);
  stored = ids.map((id) => byId.get(id)!);

  // The records are what was sent, so the oracle's data is the generated data.
  data.forEach((g, i) => {
    expect(stored[i]).toMatchObject({
      title: g.retitle ?? g.title,
      place: g.place,
      latitude: g.coordinates?.[0] ?? null,
      longitude: g.coordinates?.[1] ?? null,
      deleted_at: g.deleted ? expect.any(String) : null,
    });
    expect([...stored[i]!.tags].sort()).toEqual([...g.tags].sort());
    if (g.ruling) expect(stored[i]!.status).toBe(g.ruling);
  });
  // The data set exercises every status and both known and unknown killed figures.
  const live = stored.filter((s) => s.deleted_at === null);
  expect(new Set(live.map((s) => s.status))).toEqual(new Set(INCIDENT_STATUSES));
  expect(live.some((s) => s.casualties.killed === null)).toBe(true);
  expect(new Set(live.map((s) => s.casualties.killed?.best)).size).toBeGreaterThan(3);
}, 120_000);
afterAll(() => t.close());

// ---------------------------------------------------------------------------------------------------------
// Filters: generated, sent as a query string, and evaluated here

type Q =
  | { kind: 'term'; a: string }
  | { kind: 'and' | 'or' | 'not' | 'phrase'; a: string; b: string }
  | { kind: 'only-not'; a: string };

const tokenArb = fc
  .tuple(fc.constantFrom(...TOKENS), fc.constantFrom('lower', 'upper', 'capital'))
  .map(([w, c]) => (c === 'lower' ? w : c === 'upper' ? w.toUpperCase() : w[0]!.toUpperCase() + w.slice(1)));

const qArb: fc.Arbitrary<Q> = fc.oneof(
  { weight: 3, arbitrary: tokenArb.map((a) => ({ kind: 'term' as const, a })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom('and', 'or', 'not', 'phrase'), tokenArb, tokenArb)
      .map(([kind, a, b]) => ({ kind, a, b })),
  },
  { weight: 1, arbitrary: tokenArb.map((a) => ({ kind: 'only-not' as const, a })) },
);

function qText(q: Q): string {
  switch (q.kind) {
    case 'term':
      return q.a;
    case 'and':
      return `${q.a} ${q.b}`;
    case 'or':
      return `${q.a} or ${q.b}`;
    case 'not':
      return `${q.a} -${q.b}`;
    case 'phrase':
      return `"${q.a} ${q.b}"`;
    case 'only-not':
      return `-${q.a}`;
  }
}

/** Web-search semantics over one document's words (every word of these texts is one token). */
function qMatches(q: Q, doc: string): boolean {
  const w = doc
    .split(/\s+/)
    .filter(Boolean)
    .map((x) => x.toLowerCase());
  const has = (x: string) => w.includes(x.toLowerCase());
  switch (q.kind) {
    case 'term':
      return has(q.a);
    case 'and':
      return has(q.a) && has(q.b);
    case 'or':
      return has(q.a) || has(q.b);
    case 'not':
      return has(q.a) && !has(q.b);
    case 'phrase':
      return w.some((x, i) => x === q.a.toLowerCase() && w[i + 1] === q.b.toLowerCase());
    case 'only-not':
      return !has(q.a);
  }
}

const incidentDoc = (s: Stored) => `${s.title} ${s.summary ?? ''} ${s.place ?? ''}`;
const claimDoc = (c: Stored['liveClaims'][number]) => `${c.statement ?? ''} ${c.translation ?? ''}`;

interface Filters {
  q?: Q;
  category?: string[];
  subcategory?: string[];
  status?: string[];
  country?: string[];
  admin1?: string;
  admin2?: string;
  place?: string;
  from?: string;
  to?: string;
  bbox?: [number, number, number, number];
  near?: { lat: number; lon: number; radius: number };
  actor?: string;
  source?: number;
  tag?: string[];
  min_killed?: number;
  updated_since?: { index: number; shiftMs: number; offset: boolean };
  include_deleted?: boolean;
  repeatLists: boolean;
}

/** Mostly absent: a run combines a few filters, so results are neither always empty nor always everything. */
const sometimes = <T>(arb: fc.Arbitrary<T>, weight = 1) =>
  fc.oneof({ weight: 7, arbitrary: fc.constant(undefined) }, { weight, arbitrary: arb });

const someOf = <T>(values: readonly T[], extra: T[] = []) =>
  fc.subarray([...values, ...extra], { minLength: 1, maxLength: 3 });

const caseOf = (s: string) => fc.constantFrom(s, s.toLowerCase(), s.toUpperCase());

const bboxArb: fc.Arbitrary<[number, number, number, number]> = fc.oneof(
  // Around the Syrian coast.
  fc.tuple(between(35.3, 35.9), between(34.3, 35.3), between(35.9, 36.6), between(35.3, 36.7)),
  // Across the antimeridian (minLon > maxLon).
  fc.tuple(between(170, 179.99), between(-25, -17), between(-179.99, -170), between(-17, -10)),
  // Only the antimeridian itself.
  fc.constant<[number, number, number, number]>([180, -90, -180, 90]),
  fc.constant<[number, number, number, number]>([-180, -90, 180, 90]),
  // Anywhere, in either order of longitudes.
  fc
    .tuple(between(-180, 180), between(-90, 90), between(-180, 180), between(-90, 90))
    .map(([a, b, c, d]) => [a, Math.min(b, d), c, Math.max(b, d)] as [number, number, number, number]),
);

const nearArb = fc
  .tuple(
    fc.oneof(
      fc.tuple(between(34.8, 36.2), between(35.6, 36.3)),
      fc.tuple(between(-18.5, -16), fc.oneof(between(179, 180), between(-180, -179))),
      fc.tuple(between(-85, 85), between(-180, 180)),
    ),
    fc.constantFrom(0.5, 5, 25, 60, 150, 400, 1500, 6000, 20_000),
  )
  .map(([[lat, lon], radius]) => ({ lat, lon, radius }));

const datePairArb = fc
  .tuple(fc.option(fc.nat({ max: 90 })), fc.option(fc.nat({ max: 90 })))
  .map(([a, b]) =>
    a !== null && b !== null ? [Math.min(a, b), Math.max(a, b)] : ([a, b] as (number | null)[]),
  );

const filtersArb: fc.Arbitrary<Filters> = fc
  .record({
    q: sometimes(qArb, 2),
    category: sometimes(someOf(INCIDENT_CATEGORIES)),
    subcategory: sometimes(someOf(INCIDENT_SUBCATEGORIES)),
    status: sometimes(someOf(INCIDENT_STATUSES)),
    country: sometimes(someOf(COUNTRIES)),
    // Exact and case-sensitive: a different case is a different division.
    admin1: sometimes(fc.constantFrom(...ADMIN1, 'latakia')),
    admin2: sometimes(fc.constantFrom(...ADMIN2)),
    place: sometimes(fc.constantFrom(...PLACES).chain(caseOf)),
    dates: sometimes(datePairArb),
    bbox: sometimes(bboxArb),
    near: sometimes(nearArb),
    actor: sometimes(fc.constantFrom(...ACTORS, 'Nobody').chain(caseOf)),
    // An index of the sources, or one past them: a source with no claims.
    source: sometimes(fc.nat({ max: SOURCES.length })),
    tag: sometimes(someOf(TAGS, ['unused tag'])),
    min_killed: sometimes(fc.constantFrom(0, 1, 12, 13, 40, 100, 125, 240, 241)),
    updated_since: sometimes(
      fc.record({
        index: fc.nat({ max: INCIDENT_COUNT - 1 }),
        shiftMs: fc.constantFrom(-1, 0, 0, 1),
        offset: fc.boolean(),
      }),
    ),
    include_deleted: sometimes(fc.boolean()),
    repeatLists: fc.boolean(),
  })
  .map(({ dates, ...f }) => {
    const out: Filters = { repeatLists: f.repeatLists };
    for (const [k, v] of Object.entries(f))
      if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
    if (dates?.[0] != null) out.from = dateAfter('2025-01-01', dates[0]);
    if (dates?.[1] != null) out.to = dateAfter('2025-01-01', dates[1]);
    return out;
  });

/** An instant as RFC 3339, in UTC or at +03:00. */
function rfc3339(ms: number, offset: boolean): string {
  if (!offset) return new Date(ms).toISOString();
  return `${new Date(ms + 3 * 3_600_000).toISOString().slice(0, 23)}+03:00`;
}

function updatedSince(f: Filters): { text: string; ms: number } | undefined {
  if (!f.updated_since) return undefined;
  const ms = Date.parse(stored[f.updated_since.index]!.updated_at) + f.updated_since.shiftMs;
  return { text: rfc3339(ms, f.updated_since.offset), ms };
}

const UNKNOWN_SOURCE = '00000000-0000-4000-8000-000000000000';
const sourceIdOf = (index: number) => sourceIds[index] ?? UNKNOWN_SOURCE;

function toQuery(f: Filters): URLSearchParams {
  const p = new URLSearchParams();
  const list = (name: string, values: readonly string[] | undefined) => {
    if (!values) return;
    if (f.repeatLists) for (const v of values) p.append(name, v);
    else p.set(name, values.join(','));
  };
  if (f.q) p.set('q', qText(f.q));
  list('category', f.category);
  list('subcategory', f.subcategory);
  list('status', f.status);
  list('country', f.country);
  if (f.admin1 !== undefined) p.set('admin1', f.admin1);
  if (f.admin2 !== undefined) p.set('admin2', f.admin2);
  if (f.place !== undefined) p.set('place', f.place);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.bbox) p.set('bbox', f.bbox.join(','));
  if (f.near) {
    p.set('near', `${f.near.lat},${f.near.lon}`);
    p.set('radius_km', String(f.near.radius));
  }
  if (f.actor !== undefined) p.set('actor', f.actor);
  if (f.source !== undefined) p.set('source_id', sourceIdOf(f.source));
  list('tag', f.tag);
  if (f.min_killed !== undefined) p.set('min_killed', String(f.min_killed));
  const since = updatedSince(f);
  if (since) p.set('updated_since', since.text);
  if (f.include_deleted !== undefined) p.set('include_deleted', String(f.include_deleted));
  return p;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance by the haversine formula. */
function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const a =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(a));
}

function matches(s: Stored, f: Filters): boolean {
  if (s.deleted_at !== null && f.include_deleted !== true) return false;
  if (f.q && !(qMatches(f.q, incidentDoc(s)) || s.liveClaims.some((c) => qMatches(f.q!, claimDoc(c)))))
    return false;
  if (f.category && !f.category.includes(s.category)) return false;
  if (f.subcategory && (s.subcategory === null || !f.subcategory.includes(s.subcategory))) return false;
  if (f.status && !f.status.includes(s.status)) return false;
  if (f.country && (s.country === null || !f.country.includes(s.country))) return false;
  if (f.admin1 !== undefined && s.admin1 !== f.admin1) return false;
  if (f.admin2 !== undefined && s.admin2 !== f.admin2) return false;
  if (f.place !== undefined && s.place?.toLowerCase() !== f.place.toLowerCase()) return false;
  if (f.from && s.occurred_to < f.from) return false;
  if (f.to && s.occurred_from > f.to) return false;
  if (f.bbox) {
    const [minLon, minLat, maxLon, maxLat] = f.bbox;
    if (s.latitude === null || s.longitude === null) return false;
    if (s.latitude < minLat || s.latitude > maxLat) return false;
    const inLon =
      minLon <= maxLon
        ? s.longitude >= minLon && s.longitude <= maxLon
        : s.longitude >= minLon || s.longitude <= maxLon;
    if (!inLon) return false;
  }
  if (f.near) {
    if (s.latitude === null || s.longitude === null) return false;
    if (haversineKm(f.near.lat, f.near.lon, s.latitude, s.longitude) > f.near.radius) return false;
  }
  if (f.actor !== undefined && !s.actors.some((a) => a.name.toLowerCase() === f.actor!.toLowerCase()))
    return false;
  if (f.source !== undefined && !s.liveClaims.some((c) => c.source_id === sourceIdOf(f.source!)))
    return false;
  if (f.tag && !s.tags.some((tag) => f.tag!.includes(tag))) return false;
  if (
    f.min_killed !== undefined &&
    !(s.casualties.killed !== null && s.casualties.killed.best >= f.min_killed)
  )
    return false;
  const since = updatedSince(f);
  if (since && Date.parse(s.updated_at) < since.ms) return false;
  return true;
}

/** Near the edge of the circle the database's and this file's floating point may disagree: such runs are skipped. */
function onCircleEdge(f: Filters): boolean {
  if (!f.near) return false;
  return stored.some(
    (s) =>
      s.latitude !== null &&
      s.longitude !== null &&
      Math.abs(haversineKm(f.near!.lat, f.near!.lon, s.latitude, s.longitude) - f.near!.radius) < 0.001,
  );
}

// ---------------------------------------------------------------------------------------------------------
// Orders

type Key = (string | number)[];

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return 0;
}

/**
 * The relevance of each incident for q. ts_rank is PostgreSQL's own scoring, so its values are asked of the
 * database — over texts rebuilt here, not the stored search columns — and combined as documented: the incident's
 * own text counts fully, the best-matching live claim half.
 */
async function relevanceOf(rows: Stored[], q: string): Promise<Map<string, number>> {
  if (rows.length === 0) return new Map();
  const docs = rows.flatMap((s) => [
    sql`(${s.id}::uuid, 'incident', ${incidentDoc(s)}::text)`,
    ...s.liveClaims.map((c) => sql`(${s.id}::uuid, 'claim', ${claimDoc(c)}::text)`),
  ]);
  const ranks = await queryRows<{ id: string; rank: number }>(
    t.database.db,
    sql`WITH docs(id, kind, body) AS (VALUES ${sql.join(docs, sql`, `)}),
      scored AS (
        SELECT id, kind,
          ts_rank(${searchVectorOf('body')}, ${searchQuery(q)}) AS rank,
          ${searchVectorOf('body')} @@ ${searchQuery(q)} AS hit
        FROM docs)
      SELECT id::text AS id,
        (max(rank) FILTER (WHERE kind = 'incident')
          + 0.5 * coalesce(max(rank) FILTER (WHERE kind = 'claim' AND hit), 0))::real AS rank
      FROM scored GROUP BY id`,
  );
  return new Map(ranks.map((r) => [r.id, Number(r.rank)]));
}

async function expectedOrder(rows: Stored[], sort: string, q: string | undefined): Promise<string[]> {
  const descending = sort.startsWith('-');
  const name = sort.replace(/^-/, '');
  let key: (s: Stored) => Key;
  if (name === 'relevance') {
    const ranks = await relevanceOf(rows, q!);
    // Best first; among equal ranks, the id decides (descending too).
    return [...rows]
      .sort((a, b) => -compareKeys([ranks.get(a.id)!, a.id], [ranks.get(b.id)!, b.id]))
      .map((s) => s.id);
  }
  if (name === 'occurred_from') key = (s) => [s.occurred_from, s.id];
  else if (name === 'created_at') key = (s) => [s.created_at, s.id];
  else if (name === 'updated_at') key = (s) => [s.updated_at, s.id];
  else key = (s) => [s.casualties.killed?.best ?? -1, s.id];
  return [...rows].sort((a, b) => (descending ? -1 : 1) * compareKeys(key(a), key(b))).map((s) => s.id);
}

/** Follows next_cursor from the first page to the last, checking each page's size and Link header. */
async function allPages(query: URLSearchParams, limit: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; ; page++) {
    const p = new URLSearchParams(query);
    p.set('limit', String(limit));
    if (cursor) p.set('cursor', cursor);
    const res = await t.http.get(`/v1/incidents?${p}`);
    if (res.status !== 200) throw new Error(`GET /v1/incidents?${p} answered ${res.status}: ${res.text}`);
    const data: { id: string }[] = res.body.data;
    cursor = res.body.next_cursor;
    // A page is full unless it is the last; the last is empty only when nothing matches at all.
    if (cursor !== null) {
      expect(data).toHaveLength(limit);
      expect(linkTargets(res.headers.link).next).toBeDefined();
    } else {
      expect(data.length).toBeLessThanOrEqual(limit);
      if (page > 0) expect(data.length).toBeGreaterThan(0);
      expect(linkTargets(res.headers.link).next).toBeUndefined();
    }
    ids.push(...data.map((d) => d.id));
    if (cursor === null) return ids;
    if (page > INCIDENT_COUNT) throw new Error('the list never ends');
  }
}

const SORTS = INCIDENT_SORTS.filter((s) => s !== 'relevance');

/** Asks for one order page by page and compares the ids with the oracle's, naming incidents by their index. */
async function expectOrder(query: URLSearchParams, limit: number, expected: string[]) {
  const got = await allPages(query, limit);
  if (JSON.stringify(got) !== JSON.stringify(expected)) {
    const name = (id: string) => stored.findIndex((s) => s.id === id);
    throw new Error(
      `GET /v1/incidents?${query} (limit ${limit}) returned incidents #${got.map(name).join(',')}; expected #${expected.map(name).join(',')}`,
    );
  }
}

test('every filter combination, in every order by a field, page by page, equals the oracle', async () => {
  let nonEmpty = 0;
  await fc.assert(
    fc.asyncProperty(filtersArb, fc.integer({ min: 4, max: 20 }), async (f, limit) => {
      fc.pre(!onCircleEdge(f));
      const rows = stored.filter((s) => matches(s, f));
      if (rows.length > 0) nonEmpty++;
      // Without q and without sort, the most recent first.
      const sorts: (string | undefined)[] = [...(f.q ? [] : [undefined]), ...SORTS];
      for (const sort of sorts) {
        const query = toQuery(f);
        if (sort) query.set('sort', sort);
        await expectOrder(query, limit, await expectedOrder(rows, sort ?? '-occurred_from', undefined));
      }
    }),
    { numRuns: 45 },
  );
  // The generator is only worth its runs if most of them select something (about two in three do).
  expect(nonEmpty).toBeGreaterThan(18);
}, 300_000);

test('with q, relevance (the default) ranks own text fully and the best live claim half, then by id', async () => {
  await fc.assert(
    fc.asyncProperty(
      filtersArb.chain((f) => qArb.map((q) => ({ ...f, q }))),
      fc.integer({ min: 4, max: 20 }),
      async (f, limit) => {
        fc.pre(!onCircleEdge(f));
        const rows = stored.filter((s) => matches(s, f));
        const expected = await expectedOrder(rows, 'relevance', qText(f.q!));
        const query = toQuery(f);
        await expectOrder(query, limit, expected);
        query.set('sort', 'relevance');
        await expectOrder(query, limit, expected);
      },
    ),
    { numRuns: 25 },
  );
}, 300_000);
