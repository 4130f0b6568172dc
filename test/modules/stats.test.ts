import { createTestApp, type TestApp } from '../helpers/app';
import {
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  validationProblem,
} from '../helpers/factories';

/**
 * GET /v1/stats/incidents: counts and summed casualty estimates per group, over a small data set whose every
 * expected number is worked out by hand below.
 */

let t: TestApp;

const FIGURES = [
  'killed',
  'killed_civilians',
  'killed_combatants',
  'injured',
  'detained',
  'missing',
] as const;
type Figure = (typeof FIGURES)[number];
type Range = { low: number; best: number; high: number };

/** Summed ranges of a group; a figure no incident in it states adds 0. */
function sums(given: Partial<Record<Figure, [number, number, number]>> = {}): Record<Figure, Range> {
  return Object.fromEntries(
    FIGURES.map((f) => {
      const [low, best, high] = given[f] ?? [0, 0, 0];
      return [f, { low, best, high }];
    }),
  ) as Record<Figure, Range>;
}

/** Adds the ranges of several incidents. */
function add(...groups: Record<Figure, Range>[]): Record<Figure, Range> {
  return Object.fromEntries(
    FIGURES.map((f) => [
      f,
      {
        low: groups.reduce((n, g) => n + g[f].low, 0),
        best: groups.reduce((n, g) => n + g[f].best, 0),
        high: groups.reduce((n, g) => n + g[f].high, 0),
      },
    ]),
  ) as Record<Figure, Range>;
}

/*
 * The incidents, and what their accepted supporting claims make of them:
 *
 *   #  occurred_from  ISO week  country admin1   category / subcategory                   status        figures (low/best/high)
 *   1  2025-03-06     2025-W10  SYR     Latakia  violence_against_civilians / mass_killing corroborated  killed 100/125/125, injured 10/10/10
 *   2  2025-03-07     2025-W10  SYR     Latakia  battle / armed_clash                     disputed      killed 240/240/240, detained 3/3/3
 *   3  2025-03-10     2025-W11  SYR     Tartus   explosion_remote_violence / shelling     unverified    killed 7/7/7, killed_civilians 5/5/5
 *   4  2024-12-30     2025-W01  LBN     —        protest / —                              unverified    none
 *   5  2025-01-01     2025-W01  —       —        riot / —                                 unverified    none (its claim is pending)
 *   6  2023-01-01     2022-W52  SYR     Idlib    strategic_development / other            verified      killed 3/3/3, missing 2/2/2
 *   7  deleted (SYR, 2025-03-07, battle): counted only with include_deleted=true, without figures
 */
const I1 = sums({ killed: [100, 125, 125], injured: [10, 10, 10] });
const I2 = sums({ killed: [240, 240, 240], detained: [3, 3, 3] });
const I3 = sums({ killed: [7, 7, 7], killed_civilians: [5, 5, 5] });
const NONE = sums();
const I6 = sums({ killed: [3, 3, 3], missing: [2, 2, 2] });

beforeAll(async () => {
  t = await createTestApp();
  const monitor = (await createSource(t.http, { name: 'Monitor', reliability: 'B' })).id;
  const witness = (await createSource(t.http, { name: 'Witness', kind: 'witness', reliability: 'F' })).id;
  const ministry = (
    await createSource(t.http, {
      name: 'Ministry',
      kind: 'government',
      reliability: 'E',
      independence_group: 'state',
    })
  ).id;

  const one = await createIncident(t.http, {
    title: 'Executions in al-Mukhtariya',
    category: 'violence_against_civilians',
    subcategory: 'mass_killing',
    occurred_from: '2025-03-06',
    occurred_to: '2025-03-07',
    country: 'SYR',
    admin1: 'Latakia',
    tags: ['coast'],
  });
  // The monitor (B) outranks the witness (F): best 125; low 100.
  await createClaim(t.http, one.id, monitor, { review_status: 'accepted', killed: 125, injured: 10 });
  await createClaim(t.http, one.id, witness, { review_status: 'accepted', killed: 100 });

  const two = await createIncident(t.http, {
    title: 'Ambush on the coastal road',
    category: 'battle',
    subcategory: 'armed_clash',
    occurred_from: '2025-03-07',
    country: 'SYR',
    admin1: 'Latakia',
    tags: ['coast'],
  });
  await createClaim(t.http, two.id, monitor, { review_status: 'accepted', killed: 240, detained: 3 });
  await createClaim(t.http, two.id, ministry, {
    review_status: 'accepted',
    stance: 'contradicts',
    killed: 1,
  });
  // A rejected claim counts for nothing.
  await createClaim(t.http, two.id, witness, { review_status: 'rejected', killed: 999 });

  const three = await createIncident(t.http, {
    title: 'Shelling of Baniyas',
    category: 'explosion_remote_violence',
    subcategory: 'shelling',
    occurred_from: '2025-03-10',
    country: 'SYR',
    admin1: 'Tartus',
  });
  await createClaim(t.http, three.id, ministry, {
    review_status: 'accepted',
    killed: 7,
    killed_civilians: 5,
  });

  await createIncident(t.http, {
    title: 'Protest in Tripoli',
    category: 'protest',
    occurred_from: '2024-12-30',
    country: 'LBN',
  });

  const five = await createIncident(t.http, { title: 'Riot', category: 'riot', occurred_from: '2025-01-01' });
  await createClaim(t.http, five.id, monitor, { killed: 50 });

  const six = await createIncident(t.http, {
    title: 'Takeover of the district office',
    category: 'strategic_development',
    subcategory: 'other',
    occurred_from: '2023-01-01',
    country: 'SYR',
    admin1: 'Idlib',
  });
  await createClaim(t.http, six.id, monitor, { review_status: 'accepted', killed: 3, missing: 2 });
  await t.http
    .post(`/v1/incidents/${six.id}/verification`)
    .send({ status: 'verified', rationale: 'Confirmed by the local council and two monitors.' })
    .expect(200);

  const seven = await createIncident(t.http, {
    title: 'Entered twice',
    category: 'battle',
    occurred_from: '2025-03-07',
    country: 'SYR',
    admin1: 'Latakia',
  });
  await t.http.delete(`/v1/incidents/${seven.id}`).expect(204);

  // The table above is what the API derived.
  const list = await t.http.get('/v1/incidents?sort=occurred_from&limit=100').expect(200);
  expect(list.body.data.map((i: { title: string; status: string }) => [i.title, i.status])).toEqual([
    ['Takeover of the district office', 'verified'],
    ['Protest in Tripoli', 'unverified'],
    ['Riot', 'unverified'],
    ['Executions in al-Mukhtariya', 'corroborated'],
    ['Ambush on the coastal road', 'disputed'],
    ['Shelling of Baniyas', 'unverified'],
  ]);
});
afterAll(() => t.close());

type Row = { key: string | null; incidents: number; casualties: Record<Figure, Range> };

async function stats(query: string): Promise<Row[]> {
  const res = await t.http.get(`/v1/stats/incidents?${query}`);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.body.group_by).toBe(new URLSearchParams(query).get('group_by'));
  return res.body.data;
}

const row = (key: string | null, incidents: number, casualties: Record<Figure, Range>): Row => ({
  key,
  incidents,
  casualties,
});

describe('group_by: one row per group, in key order, null last', () => {
  test('month (of occurred_from)', async () => {
    expect(await stats('group_by=month')).toEqual([
      row('2023-01', 1, I6),
      row('2024-12', 1, NONE),
      row('2025-01', 1, NONE),
      row('2025-03', 3, add(I1, I2, I3)),
    ]);
  });

  test('week: ISO weeks, keyed by ISO year (2024-12-30 is in 2025-W01, 2023-01-01 in 2022-W52)', async () => {
    expect(await stats('group_by=week')).toEqual([
      row('2022-W52', 1, I6),
      row('2025-W01', 2, NONE),
      row('2025-W10', 2, add(I1, I2)),
      row('2025-W11', 1, I3),
    ]);
  });

  test('year', async () => {
    expect(await stats('group_by=year')).toEqual([
      row('2023', 1, I6),
      row('2024', 1, NONE),
      row('2025', 4, add(I1, I2, I3)),
    ]);
  });

  test('country: incidents without one grouped under null', async () => {
    expect(await stats('group_by=country')).toEqual([
      row('LBN', 1, NONE),
      row('SYR', 4, add(I1, I2, I3, I6)),
      row(null, 1, NONE),
    ]);
  });

  test('admin1', async () => {
    expect(await stats('group_by=admin1')).toEqual([
      row('Idlib', 1, I6),
      row('Latakia', 2, add(I1, I2)),
      row('Tartus', 1, I3),
      row(null, 2, NONE),
    ]);
  });

  test('category', async () => {
    expect(await stats('group_by=category')).toEqual([
      row('battle', 1, I2),
      row('explosion_remote_violence', 1, I3),
      row('protest', 1, NONE),
      row('riot', 1, NONE),
      row('strategic_development', 1, I6),
      row('violence_against_civilians', 1, I1),
    ]);
  });

  test('subcategory', async () => {
    expect(await stats('group_by=subcategory')).toEqual([
      row('armed_clash', 1, I2),
      row('mass_killing', 1, I1),
      row('other', 1, I6),
      row('shelling', 1, I3),
      row(null, 2, NONE),
    ]);
  });

  test('status: derived and verifier-set alike', async () => {
    expect(await stats('group_by=status')).toEqual([
      row('corroborated', 1, I1),
      row('disputed', 1, I2),
      row('unverified', 3, I3),
      row('verified', 1, I6),
    ]);
  });
});

describe('the incident filters apply', () => {
  test('country and min_killed (on best)', async () => {
    expect(await stats('group_by=status&country=SYR&min_killed=7')).toEqual([
      row('corroborated', 1, I1),
      row('disputed', 1, I2),
      row('unverified', 1, I3),
    ]);
    expect(await stats('group_by=country&min_killed=125')).toEqual([row('SYR', 2, add(I1, I2))]);
  });

  test('from/to overlap the occurred range; category and status lists', async () => {
    // Incident 1 runs 6–7 March: it overlaps a range starting on the 7th.
    expect(await stats('group_by=week&from=2025-03-07&to=2025-03-09')).toEqual([
      row('2025-W10', 2, add(I1, I2)),
    ]);
    expect(await stats('group_by=month&category=battle,riot')).toEqual([
      row('2025-01', 1, NONE),
      row('2025-03', 1, I2),
    ]);
    expect(await stats('group_by=admin1&status=unverified&status=verified')).toEqual([
      row('Idlib', 1, I6),
      row('Tartus', 1, I3),
      row(null, 2, NONE),
    ]);
  });

  test('q, tag and admin1', async () => {
    expect(await stats('group_by=category&q=shelling')).toEqual([row('explosion_remote_violence', 1, I3)]);
    expect(await stats('group_by=category&tag=coast')).toEqual([
      row('battle', 1, I2),
      row('violence_against_civilians', 1, I1),
    ]);
    expect(await stats('group_by=country&admin1=Latakia')).toEqual([row('SYR', 2, add(I1, I2))]);
  });

  test('include_deleted=true counts the deleted incident too', async () => {
    expect(await stats('group_by=category&include_deleted=true&country=SYR')).toEqual([
      row('battle', 2, I2),
      row('explosion_remote_violence', 1, I3),
      row('strategic_development', 1, I6),
      row('violence_against_civilians', 1, I1),
    ]);
  });

  test('nothing matching: no rows', async () => {
    expect(await stats('group_by=month&country=IRQ')).toEqual([]);
  });

  test('a bad filter is a validation problem', async () => {
    const res = await t.http.get('/v1/stats/incidents?group_by=month&from=2025-03-10&to=2025-03-01');
    expectProblem(res, validationProblem('query', [{ path: 'query.from', message: 'must not be after to' }]));
  });
});

describe('a group_by that is missing or unknown', () => {
  test.each(['group_by=day', 'group_by=', 'group_by=Month', ''])(
    '?%s: 400 problem naming group_by',
    async (query) => {
      const res = await t.http.get(`/v1/stats/incidents?${query}`);
      expectProblem(
        res,
        validationProblem('query', [{ path: 'query.group_by', message: res.body.errors?.[0]?.message }]),
      );
      // The message tells the client what would have been valid.
      if (query !== '') {
        expect(res.body.errors[0].message).toBe(
          'Invalid option: expected one of "month"|"week"|"year"|"country"|"admin1"|"category"|"subcategory"|"status"',
        );
      }
    },
  );
});
