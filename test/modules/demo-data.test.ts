import { isEmpty } from '../../src/db/client';
import { loadDemoData } from '../../src/modules/demo/demo-data';
import { createServices } from '../../src/services';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
let demo: Awaited<ReturnType<typeof loadDemoData>>;
let emptyBefore: boolean;
let emptyAfter: boolean;

beforeAll(async () => {
  t = await createTestApp();
  emptyBefore = await isEmpty(t.database.db);
  demo = await loadDemoData(createServices(t.database.db));
  emptyAfter = await isEmpty(t.database.db);
});
afterAll(() => t.close());

type Claim = Record<string, unknown> & { id: string; source_id: string };

const FIGURE_NAMES = ['killed', 'killed_civilians', 'killed_combatants', 'injured', 'detained', 'missing'];

/** A figure estimate set by one claim alone. */
const single = (value: number, claimId: string) => ({
  low: value,
  best: value,
  high: value,
  claims: 1,
  low_claim_id: claimId,
  best_claim_id: claimId,
  high_claim_id: claimId,
});

const noFigures = Object.fromEntries(FIGURE_NAMES.map((f) => [f, null]));

async function claimsOf(incidentId: string): Promise<Claim[]> {
  const res = await t.http.get(`/v1/incidents/${incidentId}/claims?limit=1000`).expect(200);
  expect(res.body.next_cursor).toBeNull();
  return res.body.data;
}

/** The one claim a source makes about an incident. */
async function claimBy(incidentId: string, sourceId: string): Promise<Claim> {
  const matching = (await claimsOf(incidentId)).filter((c) => c.source_id === sourceId);
  expect(matching).toHaveLength(1);
  return matching[0]!;
}

const what = (c: Claim) => ({
  stance: c.stance,
  review_status: c.review_status,
  credibility: c.credibility,
  figures_are_minimum: c.figures_are_minimum,
  published_at: c.published_at,
  ...Object.fromEntries(FIGURE_NAMES.map((f) => [f, c[f]])),
});

test('the database is empty before the demo is loaded and not after', () => {
  expect(emptyBefore).toBe(true);
  expect(emptyAfter).toBe(false);
});

test('five sources; the state broadcaster shares the ministry’s independence group', async () => {
  const res = await t.http.get('/v1/sources?limit=1000').expect(200);
  expect(res.body.next_cursor).toBeNull();
  const byId = new Map<string, Record<string, unknown>>(res.body.data.map((s: { id: string }) => [s.id, s]));
  expect(byId.size).toBe(5);
  const { monitor, ministry, broadcaster, envoy, video } = demo.sources;
  const lifecycle = { version: 1, deleted_at: null };

  expect(byId.get(monitor.id)).toMatchObject({
    name: 'Syrian Network for Human Rights',
    acronym: 'SNHR',
    kind: 'monitor',
    url: 'https://snhr.org/',
    country: 'SYR',
    independence_group: 'snhr',
    reliability: 'B',
    party_to_conflict: false,
    protected: false,
    ...lifecycle,
  });
  expect(byId.get(ministry.id)).toMatchObject({
    name: 'Ministry of Interior of the Syrian Arab Republic',
    acronym: null,
    kind: 'government',
    country: 'SYR',
    independence_group: 'syrian-government',
    reliability: 'D',
    party_to_conflict: true,
    protected: false,
    notes: 'Party to the conflict.',
    ...lifecycle,
  });
  expect(byId.get(broadcaster.id)).toMatchObject({
    name: 'Syrian Arab News Agency',
    acronym: 'SANA',
    kind: 'state_media',
    url: 'https://sana.sy/',
    independence_group: 'syrian-government',
    reliability: 'D',
    party_to_conflict: false,
    protected: false,
    ...lifecycle,
  });
  expect(byId.get(envoy.id)).toMatchObject({
    name: 'UN Special Envoy for Syria',
    kind: 'intergovernmental',
    country: null,
    independence_group: 'united-nations',
    reliability: 'B',
    party_to_conflict: false,
    protected: false,
    ...lifecycle,
  });
  // Only what stays visible whoever reads it: a protected source's identifying fields may be withheld.
  expect(byId.get(video.id)).toMatchObject({
    kind: 'social_media',
    independence_group: null,
    reliability: 'F',
    party_to_conflict: false,
    protected: true,
    ...lifecycle,
  });
});

test('three incidents: the battle and two parts of it', async () => {
  const res = await t.http.get('/v1/incidents?limit=1000&sort=created_at').expect(200);
  const { battle, executions, mukhtariya } = demo.incidents;
  expect(res.body.next_cursor).toBeNull();
  expect(
    res.body.data.map((i: Record<string, unknown>) => [i.id, i.ref, i.parent_id, i.category, i.subcategory]),
  ).toEqual([
    [battle.id, 'SYR-2025-000001', null, 'battle', 'armed_clash'],
    [executions.id, 'SYR-2025-000002', battle.id, 'violence_against_civilians', 'execution'],
    [mukhtariya.id, 'SYR-2025-000003', battle.id, 'violence_against_civilians', 'mass_killing'],
  ]);
  for (const incident of res.body.data) {
    expect(incident).toMatchObject({
      occurred_from: '2025-03-06',
      occurred_to: '2025-03-07',
      country: 'SYR',
      admin1: 'Latakia',
      tags: ['coastal-violence-2025'],
    });
  }
  expect(res.body.data[0].actors).toEqual([
    { name: 'Loyalists of the former government', role: 'perpetrator' },
    { name: 'Syrian security forces', role: 'target' },
  ]);
  expect(res.body.data[2].place).toBe('al-Mukhtariya');
});

test('the claims carry the report’s figures', async () => {
  const { monitor, ministry, broadcaster, envoy, video } = demo.sources;
  const { battle, executions, mukhtariya } = demo.incidents;
  const all = await t.http.get('/v1/claims?limit=1000').expect(200);
  expect(all.body.data).toHaveLength(7);

  const accepted = { stance: 'supports', review_status: 'accepted', figures_are_minimum: false };
  expect(what(await claimBy(battle.id, monitor.id))).toEqual({
    ...noFigures,
    ...accepted,
    figures_are_minimum: true,
    credibility: 2,
    published_at: '2025-03-07T18:00:00.000Z',
    killed: 240,
    killed_civilians: 140,
    killed_combatants: 100,
  });
  expect(what(await claimBy(battle.id, broadcaster.id))).toEqual({
    ...noFigures,
    ...accepted,
    credibility: 3,
    published_at: '2025-03-06T20:00:00.000Z',
  });
  expect(what(await claimBy(battle.id, envoy.id))).toEqual({
    ...noFigures,
    ...accepted,
    credibility: 2,
    published_at: '2025-03-07T12:00:00.000Z',
  });
  expect(what(await claimBy(executions.id, monitor.id))).toEqual({
    ...noFigures,
    ...accepted,
    credibility: 2,
    published_at: '2025-03-07T18:00:00.000Z',
    killed: 125,
    killed_civilians: 125,
  });
  expect(what(await claimBy(executions.id, ministry.id))).toEqual({
    ...noFigures,
    stance: 'contradicts',
    review_status: 'pending',
    figures_are_minimum: false,
    credibility: 4,
    published_at: '2025-03-08T10:00:00.000Z',
  });
  expect(what(await claimBy(mukhtariya.id, monitor.id))).toEqual({
    ...noFigures,
    ...accepted,
    credibility: 2,
    published_at: '2025-03-07T18:00:00.000Z',
    killed: 40,
    killed_civilians: 40,
  });
  expect(what(await claimBy(mukhtariya.id, video.id))).toEqual({
    ...noFigures,
    ...accepted,
    credibility: 3,
    published_at: '2025-03-07T09:00:00.000Z',
  });
  expect(await claimsOf(executions.id)).toHaveLength(2);
  expect(await claimsOf(mukhtariya.id)).toHaveLength(2);
});

test('the battle: corroborated by three groups, at least 240 killed, 100 combatants and 140 civilians', async () => {
  const { battle } = demo.incidents;
  const claim = await claimBy(battle.id, demo.sources.monitor.id);
  const res = await t.http.get(`/v1/incidents/${battle.id}`).expect(200);
  expect(res.body.status).toBe('corroborated');
  expect(res.body.casualties).toEqual({
    method: 'ranked-source/1',
    ...noFigures,
    killed: single(240, claim.id),
    killed_combatants: single(100, claim.id),
    killed_civilians: single(140, claim.id),
  });
});

test('al-Mukhtariya: corroborated by the monitor and the video, two independence groups', async () => {
  const { mukhtariya } = demo.incidents;
  const claim = await claimBy(mukhtariya.id, demo.sources.monitor.id);
  const res = await t.http.get(`/v1/incidents/${mukhtariya.id}`).expect(200);
  expect(res.body.status).toBe('corroborated');
  expect(res.body.casualties).toEqual({
    method: 'ranked-source/1',
    ...noFigures,
    killed: single(40, claim.id),
    killed_civilians: single(40, claim.id),
  });
});

test('the executions: unverified while the ministry’s denial is pending, disputed once it is accepted', async () => {
  const { executions } = demo.incidents;
  const monitorClaim = await claimBy(executions.id, demo.sources.monitor.id);
  const denial = await claimBy(executions.id, demo.sources.ministry.id);
  const casualties = {
    method: 'ranked-source/1',
    ...noFigures,
    killed: single(125, monitorClaim.id),
    killed_civilians: single(125, monitorClaim.id),
  };

  const before = (await t.http.get(`/v1/incidents/${executions.id}`).expect(200)).body;
  expect(before).toMatchObject({ status: 'unverified', casualties });

  const reviewed = await t.http
    .patch(`/v1/claims/${denial.id}`)
    .send({ review_status: 'accepted', review_note: 'Reviewed: a party’s denial, recorded as such.' })
    .expect(200);
  expect(reviewed.body).toMatchObject({ review_status: 'accepted', stance: 'contradicts', version: 2 });

  const after = (await t.http.get(`/v1/incidents/${executions.id}`).expect(200)).body;
  // A contradicting claim moves the status but adds no figures.
  expect(after).toEqual({
    ...before,
    status: 'disputed',
    version: before.version + 1,
    updated_at: expect.any(String),
  });
});
