import { sql } from 'drizzle-orm';
import type { Response } from 'supertest';
import { queryRows } from '../../src/db/client';
import { createTestApp, type TestApp } from '../helpers/app';
import {
  claimBody,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  incidentBody,
  notFoundProblem,
  sourceBody,
  validationProblem,
  committedAtOrAfter,
  linkTargets,
} from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type Resource = Record<string, unknown> & { id: string; version: number; updated_at: string };

interface Entry {
  version: number;
  action: string;
  actor: string;
  request_id: string | null;
  changed_at: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  cause: Record<string, unknown> | null;
  state: Record<string, unknown>;
}

/** One resource type as the history tests exercise it. */
interface Kind {
  collection: 'sources' | 'incidents' | 'claims';
  type: 'source' | 'incident' | 'claim';
  /** Creates one record through the API and returns the response. */
  post(): Promise<Response>;
  /** A change of one field, and that field. */
  patch: Record<string, unknown>;
  field: string;
}

const KINDS: Kind[] = [
  {
    collection: 'sources',
    type: 'source',
    post: () => t.http.post('/v1/sources').send(sourceBody()).expect(201),
    patch: { name: 'Syrian Observatory for Human Rights' },
    field: 'name',
  },
  {
    collection: 'incidents',
    type: 'incident',
    post: () => t.http.post('/v1/incidents').send(incidentBody()).expect(201),
    patch: { title: 'Field executions in al-Mukhtariya' },
    field: 'title',
  },
  {
    collection: 'claims',
    type: 'claim',
    post: async () => {
      const incident = await createIncident(t.http);
      const source = await createSource(t.http);
      return t.http.post('/v1/claims').send(claimBody(incident.id, source.id)).expect(201);
    },
    patch: { statement: 'About 40 civilians were executed together.' },
    field: 'statement',
  },
];

/** What the history reports as changed by a create: every field from null, except version and updated_at. */
function createdChanges(record: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(record)
      .filter(([field]) => field !== 'version' && field !== 'updated_at')
      .map(([field, value]) => [field, { from: null, to: value }]),
  );
}

async function historyOf(collection: string, id: string): Promise<Entry[]> {
  const res = await t.http.get(`/v1/${collection}/${id}/history?limit=1000`).expect(200);
  expect(res.body.next_cursor).toBeNull();
  return res.body.data;
}

const requestIdOf = (res: Response) => res.headers['x-request-id'] as string;

/** Lets the clock move on, so that versions written one after another get distinct timestamps. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

const millisecondsBefore = (time: string, ms = 1) => new Date(Date.parse(time) - ms).toISOString();

describe.each(KINDS)('GET /v1/$collection/{id}/history', ({ collection, type, post, patch, field }) => {
  it('records the create as version 1, every field changed from null, by whom and on which request', async () => {
    const res = await post();
    const record = res.body as Resource;

    const history = await t.http.get(`/v1/${collection}/${record.id}/history`);

    expect(history.status).toBe(200);
    expect(history.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(linkTargets(history.headers.link).next).toBeUndefined();
    expect(history.body).toEqual({
      data: [
        {
          version: 1,
          action: 'create',
          actor: t.admin.id,
          request_id: requestIdOf(res),
          changed_at: committedAtOrAfter(record.created_at as string),
          changes: createdChanges(record),
          cause: null,
          state: record,
        },
      ],
      next_cursor: null,
    });
    expect(requestIdOf(res)).toMatch(UUID);
    // Stored without a diff, which would repeat the state; the one above is derived from the state.
    const stored = await queryRows<{ action: string; diff: unknown }>(
      t.database.db,
      sql`SELECT action, diff FROM changes WHERE resource_id = ${record.id}`,
    );
    expect(stored).toEqual([{ action: 'create', diff: null }]);
  });

  it('records a PATCH as version 2 listing only the changed field, with its value before and after', async () => {
    const created = (await post()).body as Resource;
    await nextMillisecond();

    const res = await t.http.patch(`/v1/${collection}/${created.id}`).send(patch).expect(200);
    const patched = res.body as Resource;

    expect(patched.version).toBe(2);
    const [first, second, ...rest] = await historyOf(collection, created.id);
    expect(rest).toEqual([]);
    expect(first!.state).toEqual(created);
    expect(second).toEqual({
      version: 2,
      action: 'update',
      actor: t.admin.id,
      request_id: requestIdOf(res),
      changed_at: committedAtOrAfter(patched.updated_at),
      changes: { [field]: { from: created[field], to: patch[field] } },
      cause: null,
      state: patched,
    });
  });

  it('records a DELETE as a tombstone version; the record 404s but its history is still served', async () => {
    const created = (await post()).body as Resource;
    const patched = (await t.http.patch(`/v1/${collection}/${created.id}`).send(patch).expect(200))
      .body as Resource;

    const res = await t.http.delete(`/v1/${collection}/${created.id}`).expect(204);

    expectProblem(await t.http.get(`/v1/${collection}/${created.id}`), notFoundProblem(type, created.id));
    const history = await historyOf(collection, created.id);
    expect(history.map((e) => [e.version, e.action])).toEqual([
      [1, 'create'],
      [2, 'update'],
      [3, 'delete'],
    ]);
    const tombstone = history[2]!;
    // deleted_at is the deleting transaction's time; the entry is dated when that transaction committed.
    const deletedAt = (tombstone.state as Resource).deleted_at as string;
    expect(Date.parse(deletedAt)).toBeGreaterThanOrEqual(Date.parse(patched.updated_at));
    expect(tombstone).toEqual({
      version: 3,
      action: 'delete',
      actor: t.admin.id,
      request_id: requestIdOf(res),
      changed_at: committedAtOrAfter(deletedAt),
      changes: { deleted_at: { from: null, to: deletedAt } },
      cause: null,
      state: { ...patched, version: 3, updated_at: deletedAt, deleted_at: deletedAt },
    });
  });

  it('answers 404 for an id that never existed', async () => {
    const res = await t.http.get(`/v1/${collection}/${UNKNOWN_ID}/history`);

    expectProblem(res, {
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: `No ${type} with id ${UNKNOWN_ID} has ever existed.`,
    });
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const res = await t.http.get(`/v1/${collection}/not-a-uuid/history`);

    expectProblem(res, validationProblem('path', [{ path: 'path.id', message: 'must be a UUID' }]));
  });
});

describe('history pagination', () => {
  /** A source with four versions: created, then renamed three times. */
  async function sourceWithFourVersions() {
    const source = await createSource(t.http, { name: 'v1' });
    for (const name of ['v2', 'v3', 'v4'])
      await t.http.patch(`/v1/sources/${source.id}`).send({ name }).expect(200);
    return source as Resource;
  }

  it('pages with limit and cursor, oldest first, linking to the next page until the last', async () => {
    const source = await sourceWithFourVersions();
    const all = await historyOf('sources', source.id);

    const first = await t.http.get(`/v1/sources/${source.id}/history?limit=3`).expect(200);

    expect(first.body.data).toEqual(all.slice(0, 3));
    expect(first.body.data.map((e: Entry) => e.state.name)).toEqual(['v1', 'v2', 'v3']);
    const cursor = first.body.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const link = linkTargets(first.headers.link).next;
    expect(link).toBeDefined();
    const next = new URL(link!);
    expect(next.pathname).toBe(`/v1/sources/${source.id}/history`);
    expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '3', cursor });

    const second = await t.http.get(`${next.pathname}${next.search}`).expect(200);

    expect(second.body).toEqual({ data: all.slice(3), next_cursor: null });
    expect(linkTargets(second.headers.link).next).toBeUndefined();
  });

  it('gives every version exactly once over pages of one', async () => {
    const source = await sourceWithFourVersions();
    const versions: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = `limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.http.get(`/v1/sources/${source.id}/history?${query}`).expect(200);
      versions.push(...res.body.data.map((e: Entry) => e.version));
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }

    expect(versions).toEqual([1, 2, 3, 4]);
  });

  it('has no next page when the limit covers every version exactly', async () => {
    const source = await sourceWithFourVersions();

    const res = await t.http.get(`/v1/sources/${source.id}/history?limit=4`).expect(200);

    expect(res.body.data.map((e: Entry) => e.version)).toEqual([1, 2, 3, 4]);
    expect(res.body.next_cursor).toBeNull();
    expect(linkTargets(res.headers.link).next).toBeUndefined();
  });

  it.each([
    ['0', 'Too small: expected number to be >=1'],
    ['1001', 'Too big: expected number to be <=1000'],
  ])('refuses limit=%s with 400', async (limit, message) => {
    const source = await createSource(t.http);

    const res = await t.http.get(`/v1/sources/${source.id}/history?limit=${limit}`);

    expectProblem(res, validationProblem('query', [{ path: 'query.limit', message }]));
  });

  it('refuses a cursor it did not issue with 400', async () => {
    const source = await createSource(t.http);

    const res = await t.http.get(`/v1/sources/${source.id}/history?cursor=bm90LWEtY3Vyc29y`);

    expectProblem(res, {
      type: '/problems/invalid-cursor',
      title: 'Bad Request',
      status: 400,
      detail: 'The cursor is not one this API issued.',
      errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
    });
  });
});

describe('who and which request', () => {
  it('keeps the x-request-id the client sent as the request_id of the change', async () => {
    const res = await t.http
      .post('/v1/sources')
      .set('x-request-id', 'partner-sync.2025-03-08:0042')
      .send(sourceBody())
      .expect(201);

    expect(requestIdOf(res)).toBe('partner-sync.2025-03-08:0042');
    const [entry] = await historyOf('sources', res.body.id);
    expect(entry!.actor).toBe(t.admin.id);
    expect(entry!.request_id).toBe('partner-sync.2025-03-08:0042');
  });

  it('gives each change the id of its own request', async () => {
    const created = await t.http.post('/v1/sources').send(sourceBody()).expect(201);
    const patched = await t.http
      .patch(`/v1/sources/${created.body.id}`)
      .send({ reliability: 'B' })
      .expect(200);
    const deleted = await t.http.delete(`/v1/sources/${created.body.id}`).expect(204);

    const history = await historyOf('sources', created.body.id);

    expect(history.map((e) => e.request_id)).toEqual([
      requestIdOf(created),
      requestIdOf(patched),
      requestIdOf(deleted),
    ]);
    expect(new Set(history.map((e) => e.request_id)).size).toBe(3);
  });
});

describe('derived changes of an incident', () => {
  const noCasualties = {
    method: 'ranked-source/1',
    killed: null,
    killed_civilians: null,
    killed_combatants: null,
    injured: null,
    detained: null,
    missing: null,
  };

  const killed = (low: [number, string], best: [number, string], high: [number, string], claims: number) => ({
    ...noCasualties,
    killed: {
      low: low[0],
      best: best[0],
      high: high[0],
      claims,
      low_claim_id: low[1],
      best_claim_id: best[1],
      high_claim_id: high[1],
    },
  });

  it('records each review that moves status or casualties as an incident version with its cause', async () => {
    const incident = await createIncident(t.http);
    const monitor = await createSource(t.http, { reliability: 'B' });
    const ngo = await createSource(t.http, { name: 'Local NGO', kind: 'ngo', reliability: 'C' });
    const first = await createClaim(t.http, incident.id, monitor.id, { killed: 40 });
    const second = await createClaim(t.http, incident.id, ngo.id, { killed: 125 });

    // Pending claims count for nothing: the incident has not changed yet.
    expect((await historyOf('incidents', incident.id)).map((e) => e.version)).toEqual([1]);

    const acceptFirst = await t.http
      .patch(`/v1/claims/${first.id}`)
      .send({ review_status: 'accepted' })
      .expect(200);
    const acceptSecond = await t.http
      .patch(`/v1/claims/${second.id}`)
      .send({ review_status: 'accepted' })
      .expect(200);

    const current = (await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body;
    const history = await historyOf('incidents', incident.id);
    const afterFirst = killed([40, first.id], [40, first.id], [40, first.id], 1);
    const afterSecond = killed([40, first.id], [40, first.id], [125, second.id], 2);
    expect(history.slice(1)).toEqual([
      {
        version: 2,
        action: 'update',
        actor: t.admin.id,
        request_id: requestIdOf(acceptFirst),
        changed_at: committedAtOrAfter(acceptFirst.body.updated_at),
        changes: { casualties: { from: noCasualties, to: afterFirst } },
        cause: { claim_id: first.id, reason: 'claim reviewed' },
        state: expect.objectContaining({ version: 2, status: 'unverified', casualties: afterFirst }),
      },
      {
        version: 3,
        action: 'update',
        actor: t.admin.id,
        request_id: requestIdOf(acceptSecond),
        changed_at: committedAtOrAfter(acceptSecond.body.updated_at),
        changes: {
          status: { from: 'unverified', to: 'corroborated' },
          casualties: { from: afterFirst, to: afterSecond },
        },
        cause: { claim_id: second.id, reason: 'claim reviewed' },
        state: current,
      },
    ]);
    expect(current).toMatchObject({ version: 3, status: 'corroborated', casualties: afterSecond });
  });

  it('names the claim and the reason when a claim is created accepted, changed, or deleted', async () => {
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const claim = await createClaim(t.http, incident.id, source.id, { review_status: 'accepted', killed: 7 });
    await t.http.patch(`/v1/claims/${claim.id}`).send({ killed: 9 }).expect(200);
    await t.http.delete(`/v1/claims/${claim.id}`).expect(204);

    const history = await historyOf('incidents', incident.id);

    expect(history.map((e) => [e.version, e.cause, Object.keys(e.changes)])).toEqual([
      [1, null, expect.arrayContaining(['id', 'casualties', 'status'])],
      [2, { claim_id: claim.id, reason: 'claim created' }, ['casualties']],
      [3, { claim_id: claim.id, reason: 'claim changed' }, ['casualties']],
      [4, { claim_id: claim.id, reason: 'claim deleted' }, ['casualties']],
    ]);
    expect(
      history.map((e) => (e.state.casualties as { killed: { best: number } | null }).killed?.best),
    ).toEqual([undefined, 7, 9, undefined]);
  });

  it('names the source when a change of its independence group moves the status', async () => {
    const incident = await createIncident(t.http);
    const ministry = await createSource(t.http, { kind: 'government', independence_group: 'state' });
    const broadcaster = await createSource(t.http, { kind: 'state_media', independence_group: 'sana' });
    await createClaim(t.http, incident.id, ministry.id, { review_status: 'accepted' });
    await createClaim(t.http, incident.id, broadcaster.id, { review_status: 'accepted' });
    expect((await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body.status).toBe('corroborated');

    const res = await t.http
      .patch(`/v1/sources/${broadcaster.id}`)
      .send({ independence_group: 'state' })
      .expect(200);

    const last = (await historyOf('incidents', incident.id)).at(-1)!;
    expect(last).toMatchObject({
      action: 'update',
      request_id: requestIdOf(res),
      changes: { status: { from: 'corroborated', to: 'unverified' } },
      cause: { source_id: broadcaster.id, reason: 'source reliability or independence group changed' },
    });
    expect(Object.keys(last.changes)).toEqual(['status']);
  });
});

describe.each(KINDS)('GET /v1/$collection/{id}?as_of=', ({ collection, type, post, patch }) => {
  it('answers with the version current at that time, 404 before creation and after deletion', async () => {
    const v1 = (await post()).body as Resource;
    await nextMillisecond();
    const v2 = (await t.http.patch(`/v1/${collection}/${v1.id}`).send(patch).expect(200)).body as Resource;
    await nextMillisecond();
    await t.http.delete(`/v1/${collection}/${v1.id}`).expect(204);
    // as_of reads by commit time: the times each version's history entry carries.
    const [h1, h2, h3] = await historyOf(collection, v1.id);
    const createdAt = h1!.changed_at;
    const patchedAt = h2!.changed_at;
    const deletedAt = h3!.changed_at;
    // The times below are only meaningful if the three versions are apart.
    expect(Date.parse(createdAt)).toBeLessThan(Date.parse(patchedAt));
    expect(Date.parse(patchedAt)).toBeLessThan(Date.parse(deletedAt));
    const asOf = (time: string) => t.http.get(`/v1/${collection}/${v1.id}`).query({ as_of: time });

    const atCreation = await asOf(createdAt);
    expect(atCreation.status).toBe(200);
    expect(atCreation.body).toEqual(v1);
    expect(atCreation.headers.etag).toBe('"1"');
    expect((await asOf(millisecondsBefore(patchedAt))).body).toEqual(v1);

    const atPatch = await asOf(patchedAt);
    expect(atPatch.status).toBe(200);
    expect(atPatch.body).toEqual(v2);
    expect(atPatch.headers.etag).toBe('"2"');
    expect((await asOf(millisecondsBefore(deletedAt))).body).toEqual(v2);

    const beforeCreation = millisecondsBefore(createdAt);
    expectProblem(await asOf(beforeCreation), {
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: `No ${type} with id ${v1.id} existed at ${beforeCreation}.`,
    });
    expectProblem(await asOf(deletedAt), {
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: `The ${type} ${v1.id} had been deleted by ${deletedAt}.`,
    });
  });
});

describe('as_of', () => {
  it('reads a time given with an offset as the same instant in UTC', async () => {
    const v1 = await createIncident(t.http);
    await nextMillisecond();
    const v2 = (await t.http.patch(`/v1/incidents/${v1.id}`).send({ title: 'Renamed' }).expect(200)).body;
    const patchedAt = (await historyOf('incidents', v1.id)).at(-1)!.changed_at;
    const at = new Date(Date.parse(patchedAt) + 3 * 3600_000).toISOString().replace('Z', '+03:00');

    const res = await t.http.get(`/v1/incidents/${v1.id}`).query({ as_of: at }).expect(200);

    expect(res.body).toEqual(v2);
  });

  it('answers 404 for an id that never existed', async () => {
    const res = await t.http.get(`/v1/incidents/${UNKNOWN_ID}`).query({ as_of: '2025-03-08T00:00:00Z' });

    expectProblem(res, {
      type: '/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: `No incident with id ${UNKNOWN_ID} existed at 2025-03-08T00:00:00.000Z.`,
    });
  });

  it('refuses a time that is not RFC 3339 with 400', async () => {
    const incident = await createIncident(t.http);

    const res = await t.http.get(`/v1/incidents/${incident.id}`).query({ as_of: 'yesterday' });

    expectProblem(
      res,
      validationProblem('query', [
        { path: 'query.as_of', message: 'must be an RFC 3339 date-time, e.g. 2025-03-07T12:00:00Z' },
      ]),
    );
  });
});

describe('include_deleted', () => {
  async function listed(path: string): Promise<Map<string, Resource>> {
    const res = await t.http.get(path).expect(200);
    expect(res.body.next_cursor).toBeNull();
    return new Map((res.body.data as Resource[]).map((r) => [r.id, r]));
  }

  it('lists deleted records with deleted_at set only when asked; default lists leave them out', async () => {
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const claim = await createClaim(t.http, incident.id, source.id);
    const liveIncident = await createIncident(t.http);
    const liveSource = await createSource(t.http);
    const liveClaim = await createClaim(t.http, liveIncident.id, liveSource.id);
    // A deleted claim of a live incident, for the incident's own claim list.
    const deletedClaimOfLive = await createClaim(t.http, liveIncident.id, liveSource.id);
    await t.http.delete(`/v1/claims/${claim.id}`).expect(204);
    await t.http.delete(`/v1/claims/${deletedClaimOfLive.id}`).expect(204);
    await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);
    await t.http.delete(`/v1/sources/${source.id}`).expect(204);
    const tombstone = async (collection: string, id: string) =>
      (await historyOf(collection, id)).at(-1)!.state;

    for (const [collection, deleted, live] of [
      ['sources', source, liveSource],
      ['incidents', incident, liveIncident],
      ['claims', claim, liveClaim],
    ] as const) {
      const plain = await listed(`/v1/${collection}?limit=1000`);
      const explicitFalse = await listed(`/v1/${collection}?limit=1000&include_deleted=false`);
      const all = await listed(`/v1/${collection}?limit=1000&include_deleted=true`);

      expect(plain.has(deleted.id)).toBe(false);
      expect(explicitFalse.has(deleted.id)).toBe(false);
      expect(plain.get(live.id)).toMatchObject({ id: live.id, deleted_at: null });
      expect(all.get(live.id)).toMatchObject({ id: live.id, deleted_at: null });
      const expected = await tombstone(collection, deleted.id);
      expect(expected.deleted_at).toEqual(expect.any(String));
      expect(all.get(deleted.id)).toEqual(expected);
      expect([...plain.values()].every((r) => r.deleted_at === null)).toBe(true);
    }

    const ofLive = await listed(`/v1/incidents/${liveIncident.id}/claims`);
    const ofLiveAll = await listed(`/v1/incidents/${liveIncident.id}/claims?include_deleted=true`);
    expect([...ofLive.keys()]).toEqual([liveClaim.id]);
    expect([...ofLiveAll.keys()].sort()).toEqual([liveClaim.id, deletedClaimOfLive.id].sort());
    expect(ofLiveAll.get(deletedClaimOfLive.id)!.deleted_at).toEqual(expect.any(String));
  });

  it('refuses include_deleted other than true or false with 400', async () => {
    const res = await t.http.get('/v1/sources?include_deleted=yes');

    expectProblem(
      res,
      validationProblem('query', [
        { path: 'query.include_deleted', message: 'Invalid option: expected one of "true"|"false"' },
      ]),
    );
  });
});

describe('GET /v1/changes paging', () => {
  it('links a full page to the next one by its cursor, keeping the other parameters', async () => {
    await createSource(t.http);
    await createSource(t.http);
    const first = await t.http.get('/v1/changes?limit=1').expect(200);
    expect(first.body.data).toHaveLength(1);
    const next = new URL(linkTargets(first.headers.link).next!);
    expect(next.pathname).toBe('/v1/changes');
    expect(Object.fromEntries(next.searchParams)).toEqual({ limit: '1', after: first.body.next_cursor });
    const second = await t.http.get(`${next.pathname}${next.search}`).expect(200);
    expect(Number(second.body.data[0].cursor)).toBeGreaterThan(Number(first.body.next_cursor));
  });
});
