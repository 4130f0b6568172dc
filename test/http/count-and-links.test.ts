import { createTestApp, type TestApp } from '../helpers/app';
import { createClaim, createIncident, createSource, linkTargets } from '../helpers/factories';

/**
 * Lists a script can trust: `count=true` adds `total`, the exact number of records the filters select (the same on
 * every page, and equal to what paging through gives); `Link` names the first page as well as the next.
 */
let t: TestApp;
let incidentId: string;
const tag = `count${Date.now()}`;

beforeAll(async () => {
  t = await createTestApp();
  const sources = [];
  for (let i = 0; i < 5; i++) {
    sources.push(await createSource(t.http, { name: `${tag} ${i}`, kind: i < 3 ? 'ngo' : 'monitor' }));
  }
  const incident = await createIncident(t.http, { admin1: tag, category: 'battle' });
  incidentId = incident.id;
  for (let i = 0; i < 4; i++)
    await createIncident(t.http, { admin1: tag, category: i < 2 ? 'riot' : 'battle' });
  for (const [i, source] of sources.entries()) {
    await createClaim(t.http, incidentId, source.id, { stance: i === 0 ? 'contradicts' : 'supports' });
  }
  for (let i = 0; i < 2; i++) await t.as('reader', `${tag} reader ${i}`);
});
afterAll(() => t.close());

/** Every page of a list, following Link rel="next", with what each page said. */
async function pages(url: string) {
  const seen: { total: unknown; ids: string[]; first: string | undefined }[] = [];
  for (let path: string | undefined = url; path;) {
    const res = await t.http.get(path).expect(200);
    const links = linkTargets(res.headers.link);
    seen.push({
      total: res.body.total,
      ids: res.body.data.map((d: { id: string }) => d.id),
      first: links.first,
    });
    const next = links.next ? new URL(links.next) : undefined;
    path = next ? `${next.pathname}${next.search}` : undefined;
  }
  return seen;
}

test.each([
  ['sources, filtered by q', `/v1/sources?q=${tag}&limit=2`, 5],
  ['sources, filtered by q and kind', `/v1/sources?q=${tag}&kind=ngo&limit=2`, 3],
  ['incidents, filtered', `/v1/incidents?admin1=${tag}&limit=2`, 5],
  ['incidents, filtered twice', `/v1/incidents?admin1=${tag}&category=battle&limit=2`, 3],
  ['claims, filtered', `/v1/claims?incident_id=INCIDENT&stance=supports&limit=3`, 4],
  ['an incident’s claims', `/v1/incidents/INCIDENT/claims?limit=2`, 5],
  ['API keys (the test admin and two readers)', `/v1/api-keys?limit=2`, 3],
])('%s: count=true gives the exact total on every page', async (_name, url, expected) => {
  const path = url.replace('INCIDENT', incidentId);
  const counted = await pages(`${path}&count=true`);
  expect(counted.map((p) => p.total)).toEqual(counted.map(() => expected));
  expect(counted.flatMap((p) => p.ids)).toHaveLength(expected);
  // Without count=true there is no total, and the records are the same.
  const plain = await pages(path);
  expect(plain.every((p) => p.total === undefined)).toBe(true);
  expect(plain.flatMap((p) => p.ids)).toEqual(counted.flatMap((p) => p.ids));
});

test('Link names the first page, with the same filters and no cursor, on every page', async () => {
  const url = `/v1/incidents?admin1=${tag}&limit=2&sort=created_at`;
  const seen = await pages(url);
  expect(seen.length).toBe(3);
  for (const page of seen) {
    const first = new URL(page.first!);
    expect(first.pathname).toBe('/v1/incidents');
    expect(Object.fromEntries(first.searchParams)).toEqual({ admin1: tag, limit: '2', sort: 'created_at' });
  }
  const again = await t.http.get(`${new URL(seen[2]!.first!).pathname}${new URL(seen[2]!.first!).search}`);
  expect(again.body.data.map((d: { id: string }) => d.id)).toEqual(seen[0]!.ids);
});

test('the last page links the first only; the change feed and history link their first page too', async () => {
  const last = await t.http.get(`/v1/sources?q=${tag}&limit=100`).expect(200);
  expect(Object.keys(linkTargets(last.headers.link))).toEqual(['first']);
  const feed = await t.http.get('/v1/changes?after=3&limit=2').expect(200);
  const first = new URL(linkTargets(feed.headers.link).first!);
  expect(Object.fromEntries(first.searchParams)).toEqual({ limit: '2' });
  const history = await t.http.get(`/v1/incidents/${incidentId}/history`).expect(200);
  expect(linkTargets(history.headers.link).first).toContain(`/v1/incidents/${incidentId}/history`);
});

test('in CSV and NDJSON the total is in X-Total-Count; in GeoJSON it is a member', async () => {
  for (const format of ['csv', 'ndjson']) {
    const res = await t.http.get(`/v1/incidents?admin1=${tag}&count=true&format=${format}`).expect(200);
    expect([format, res.headers['x-total-count']]).toEqual([format, '5']);
  }
  const geo = await t.http.get(`/v1/incidents?admin1=${tag}&count=true&format=geojson&limit=1`).expect(200);
  expect(JSON.parse(geo.text)).toMatchObject({ type: 'FeatureCollection', total: 5 });
  const sparse = await t.http.get(`/v1/incidents?admin1=${tag}&count=true&fields=ref&limit=1`).expect(200);
  expect(sparse.body).toMatchObject({ total: 5, next_cursor: expect.any(String) });
});

test('the total follows the filters the viewer may use: a protected source is not counted by its name', async () => {
  await createSource(t.http, { name: `${tag} hidden witness`, kind: 'witness', protected: true });
  const admin = await t.http.get(`/v1/sources?q=${tag}&count=true`).expect(200);
  const anonymous = await t.anonymous.get(`/v1/sources?q=${tag}&count=true`).expect(200);
  expect([admin.body.total, anonymous.body.total]).toEqual([6, 5]);
});

test('count is not taken where nothing is counted: exports refuse it', async () => {
  const res = await t.http.get('/v1/export/incidents?count=true');
  expect(res.status).toBe(400);
  expect(res.body.errors[0].path).toBe('query.count');
});
