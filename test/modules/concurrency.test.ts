import pg from 'pg';
import type { Response } from 'supertest';
import type { NewSourceRow } from '../../src/db/schema';
import { deriveCasualties, type CountableClaim } from '../../src/domain/casualties';
import { deriveStatus, type StatusClaim } from '../../src/domain/status';
import { FIGURES, RELIABILITY_GRADES, type Figure } from '../../src/domain/vocabulary';
import { createSourceRepository } from '../../src/modules/sources/source-repository';
import { toSourceDto } from '../../src/modules/sources/source-service';
import { createServices } from '../../src/services';
import { createTestApp, type TestApp } from '../helpers/app';
import { openPostgres } from '../../src/db/client';
import { serverUrl } from '../helpers/database';
import {
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  sourceBody,
  type ExpectedProblem,
  committedAtOrAfter,
} from '../helpers/factories';

// PGlite runs one transaction at a time, so these tests only prove something there about serial behaviour;
// against the server the writers really race.
let t: TestApp;
// On the server: a connection of its own to watch who waits for locks, which the app's busy pool cannot starve.
let observer: pg.Client | undefined;
beforeAll(async () => {
  t = await createTestApp();
  if (t.url) {
    observer = new pg.Client({ connectionString: t.url });
    await observer.connect();
  }
});
afterAll(async () => {
  await observer?.end();
  await t.close();
});

const onServer = serverUrl ? it : it.skip;

/** A feed cursor as the pair it orders by: (xid, seq). */
const position = (cursor: string): [bigint, bigint] => {
  const [xid, seq] = cursor.includes('.') ? cursor.split('.') : ['0', cursor];
  return [BigInt(xid!), BigInt(seq!)];
};
const before = (a: string, b: string) => {
  const [ax, as] = position(a);
  const [bx, bs] = position(b);
  return ax < bx || (ax === bx && as < bs);
};

type Claim = {
  id: string;
  source_id: string;
  stance: string;
  review_status: string;
  credibility: number;
  published_at: string | null;
  deleted_at: string | null;
  version: number;
} & Record<Figure, number | null>;

type Source = { id: string; reliability: string; independence_group: string | null };

interface Change {
  cursor: string;
  resource_type: 'source' | 'incident' | 'claim';
  resource_id: string;
  version: number;
  action: 'create' | 'update' | 'delete';
  actor: string;
  changed_at: string;
  state: Record<string, unknown>;
}

/** A small seeded generator, so that a failing run can be repeated exactly. */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** What the rules need to know about a claim, from the claim and its source as the API gives them. */
function countable(claim: Claim, sources: Map<string, Source>): CountableClaim & StatusClaim {
  const source = sources.get(claim.source_id)!;
  return {
    id: claim.id,
    stance: claim.stance,
    reviewStatus: claim.review_status,
    credibility: claim.credibility,
    publishedAt: claim.published_at ? new Date(claim.published_at) : null,
    figures: Object.fromEntries(FIGURES.map((f) => [f, claim[f]])) as Record<Figure, number | null>,
    reliability: source.reliability,
    sourceId: claim.source_id,
    independenceGroup: source.independence_group,
  };
}

/** Every change in the feed after a cursor, following next_cursor to the end. */
async function feedAfter(after: string): Promise<{ changes: Change[]; cursor: string }> {
  const changes: Change[] = [];
  let cursor = after;
  for (;;) {
    const res = await t.http.get(`/v1/changes?after=${cursor}&limit=1000`).expect(200);
    changes.push(...res.body.data);
    if (res.body.data.length === 0) {
      expect(res.body.next_cursor).toBe(cursor);
      return { changes, cursor };
    }
    cursor = res.body.next_cursor;
  }
}

async function feedEnd(): Promise<string> {
  return (await feedAfter('0')).cursor;
}

/** Waits, within a bound, until something observable in the database holds; polls rather than guesses. */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How many sessions of this database wait for a lock, of one kind (e.g. advisory) or of any. */
async function lockWaiters(waitEvent?: string): Promise<number> {
  const { rows } = await observer!.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
     WHERE datname = current_database() AND wait_event_type = 'Lock' AND ($1::text IS NULL OR wait_event = $1)`,
    [waitEvent ?? null],
  );
  return rows[0]!.n;
}

function tally(responses: Response[]) {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

describe('concurrent claim writes at one incident', () => {
  it('leave status and casualties equal to a recomputation from the claims, version after version', async () => {
    const rng = random(20250307);
    const incident = await createIncident(t.http);
    const groups = ['state', 'state', null, 'monitors', null, 'un'];
    const sources: Source[] = [];
    for (const [i, group] of groups.entries()) {
      sources.push(
        await createSource(t.http, {
          name: `Source ${i}`,
          reliability: RELIABILITY_GRADES[i % RELIABILITY_GRADES.length],
          independence_group: group,
        }),
      );
    }
    const sourcesById = new Map(sources.map((s) => [s.id, s]));
    const figures = () =>
      Object.fromEntries(FIGURES.map((f) => [f, rng.chance(0.4) ? null : rng.int(0, 300)]));
    const claimFields = () => ({
      stance: rng.chance(0.8) ? 'supports' : 'contradicts',
      review_status: rng.pick(['pending', 'accepted', 'accepted', 'rejected']),
      credibility: rng.int(1, 6),
      published_at: rng.chance(0.2) ? null : `2025-03-${String(rng.int(6, 20)).padStart(2, '0')}T12:00:00Z`,
      ...figures(),
    });

    // Claims that exist before the race, for it to review and delete.
    const existing: Claim[] = [];
    for (let i = 0; i < 20; i++)
      existing.push(await createClaim(t.http, incident.id, rng.pick(sources).id, claimFields()));

    const writes: { expected: number; send: () => Promise<Response> }[] = [];
    for (let i = 0; i < 24; i++) {
      const body = { incident_id: incident.id, source_id: rng.pick(sources).id, ...claimFields() };
      writes.push({ expected: 201, send: () => t.http.post('/v1/claims').send(body) });
    }
    for (const [i, claim] of existing.slice(0, 12).entries()) {
      const patch = {
        review_status: rng.pick(['accepted', 'rejected']),
        // Always a real change, so that every review makes a version.
        review_note: `Review ${i}`,
        ...(rng.chance(0.5) ? { killed: rng.int(0, 300) } : {}),
      };
      writes.push({ expected: 200, send: () => t.http.patch(`/v1/claims/${claim.id}`).send(patch) });
    }
    for (const claim of existing.slice(12)) {
      writes.push({ expected: 204, send: () => t.http.delete(`/v1/claims/${claim.id}`) });
    }
    // Shuffled, so that creates, reviews and deletes interleave.
    for (let i = writes.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [writes[i], writes[j]] = [writes[j]!, writes[i]!];
    }
    expect(writes).toHaveLength(44);

    // On the server, the incident is held until many writers queue behind it, so that they really race.
    const holder = t.url ? new pg.Client({ connectionString: t.url }) : undefined;
    let responses: Response[];
    try {
      if (holder) {
        await holder.connect();
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM incidents WHERE id = $1 FOR UPDATE', [incident.id]);
      }
      const racing = Promise.all(writes.map((w) => w.send()));
      if (holder) {
        await waitUntil('ten writers wait for the incident', async () => (await lockWaiters()) >= 10);
        await holder.query('COMMIT');
      }
      responses = await racing;
    } finally {
      await holder?.query('ROLLBACK').catch(() => undefined);
      await holder?.end();
    }

    expect(responses.map((r) => r.status)).toEqual(writes.map((w) => w.expected));

    const claims = await t.http.get(`/v1/incidents/${incident.id}/claims?limit=1000`).expect(200);
    expect(claims.body.data).toHaveLength(20 - 8 + 24);
    const live = (claims.body.data as Claim[]).map((c) => countable(c, sourcesById));
    const current = (await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body;
    expect(current.casualties).toEqual(deriveCasualties(live));
    expect(current.status).toBe(deriveStatus(live));
    // The data must make the check meaningful: figures from several accepted claims.
    expect(current.casualties.killed?.claims).toBeGreaterThan(3);

    // The incident's versions: consecutive from 1, no gap, no duplicate, the last one current.
    const history = await t.http.get(`/v1/incidents/${incident.id}/history?limit=1000`).expect(200);
    const versions = history.body.data.map((e: { version: number }) => e.version);
    expect(versions).toEqual(Array.from({ length: current.version }, (_, i) => i + 1));
    expect(history.body.data.at(-1).state).toEqual(current);

    // Replaying the feed in commit order, every stored estimate matches the claims as they stood at that point.
    const { changes } = await feedAfter('0');
    const claimIds = new Set([...existing.map((c) => c.id), ...claims.body.data.map((c: Claim) => c.id)]);
    const relevant = changes.filter(
      (c) =>
        (c.resource_type === 'incident' && c.resource_id === incident.id) ||
        (c.resource_type === 'claim' && claimIds.has(c.resource_id)),
    );
    expect(relevant.filter((c) => c.resource_type === 'incident').map((c) => c.version)).toEqual(versions);
    const liveClaims = new Map<string, Claim>();
    let incidentState = relevant[0]!.state;
    expect(relevant[0]).toMatchObject({ resource_type: 'incident', version: 1 });
    let checked = 0;
    for (let i = 1; i < relevant.length; i++) {
      const change = relevant[i]!;
      // Each claim write is one transaction: the claim's change, then its incident's if the figures moved.
      expect(change.resource_type).toBe('claim');
      if (change.action === 'delete') liveClaims.delete(change.resource_id);
      else liveClaims.set(change.resource_id, change.state as Claim);
      const next = relevant[i + 1];
      if (next?.resource_type === 'incident') {
        incidentState = next.state;
        i++;
      }
      const derived = [...liveClaims.values()].map((c) => countable(c, sourcesById));
      expect({
        at: change.cursor,
        casualties: incidentState.casualties,
        status: incidentState.status,
      }).toEqual({
        at: change.cursor,
        casualties: deriveCasualties(derived),
        status: deriveStatus(derived),
      });
      checked++;
    }
    expect(checked).toBe(20 + 44);
    expect(incidentState).toEqual(current);
  });
});

describe('50 concurrent PATCHes with the same If-Match', () => {
  const cases = [
    {
      collection: 'sources',
      type: 'source',
      table: 'sources',
      create: async () => createSource(t.http),
      patch: (i: number) => ({ name: `Writer ${i}` }),
    },
    {
      collection: 'incidents',
      type: 'incident',
      table: 'incidents',
      create: async () => createIncident(t.http),
      patch: (i: number) => ({ title: `Writer ${i}` }),
    },
    {
      collection: 'claims',
      type: 'claim',
      table: 'claims',
      create: async () =>
        createClaim(t.http, (await createIncident(t.http)).id, (await createSource(t.http)).id),
      patch: (i: number) => ({ statement: `Writer ${i}`, review_status: 'accepted', killed: i }),
    },
  ];

  it.each(cases)(
    'let exactly one win on /v1/$collection; 49 get 412',
    async ({ collection, type, table, create, patch }) => {
      const record = await create();
      const url = `/v1/${collection}/${record.id}`;
      // On the server, the row is held until many writers queue behind it, so that they really race when it is
      // let go; without this they would mostly arrive one after another.
      const holder = t.url ? new pg.Client({ connectionString: t.url }) : undefined;
      let responses: Response[];
      try {
        if (holder) {
          await holder.connect();
          await holder.query('BEGIN');
          await holder.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR UPDATE`, [record.id]);
        }
        const racing = Promise.all(
          Array.from({ length: 50 }, (_, i) => t.http.patch(url).set('if-match', '"1"').send(patch(i))),
        );
        if (holder) {
          await waitUntil('ten writers wait for the row', async () => (await lockWaiters()) >= 10);
          await holder.query('COMMIT');
        }
        responses = await racing;
      } finally {
        await holder?.query('ROLLBACK').catch(() => undefined);
        await holder?.end();
      }

      expect(tally(responses)).toEqual({ 200: 1, 412: 49 });
      const winner = responses.findIndex((r) => r.status === 200);
      const stale: ExpectedProblem = {
        type: '/problems/precondition-failed',
        title: 'Precondition Failed',
        status: 412,
        detail: `The ${type} ${record.id} has changed since it was read: its current version is 2 (ETag "2"). Read it again and reapply the change.`,
      };
      for (const res of responses.filter((r) => r.status === 412)) expectProblem(res, stale);
      const current = (await t.http.get(url).expect(200)).body;
      expect(current).toEqual(responses[winner]!.body);
      expect(current).toMatchObject({ ...patch(winner), version: 2 });
      const history = await t.http.get(`${url}/history`).expect(200);
      expect(history.body.data.map((e: { version: number }) => e.version)).toEqual([1, 2]);
    },
  );
});

describe('history time under concurrent writers', () => {
  onServer(
    'never dates a version before the one it follows, so as_of answers what was committed then',
    async () => {
      const incident = await createIncident(t.http);
      const slow = await createSource(t.http, { name: 'Rated D for now', reliability: 'D' });
      const fast = await createSource(t.http, { name: 'Rated C', reliability: 'C' });
      await createClaim(t.http, incident.id, slow.id, { review_status: 'accepted', killed: 10 });
      const holder = new pg.Client({ connectionString: t.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM sources WHERE id = $1 FOR UPDATE', [slow.id]);
        // A: re-rating the source will move the incident's best estimate; it begins now and waits for the source.
        const rerate = t.http
          .patch(`/v1/sources/${slow.id}`)
          .send({ reliability: 'A' })
          .then((res) => res);
        await waitUntil('the re-rating waits for the source', async () => (await lockWaiters()) === 1);
        // A moment when the incident had two versions, and neither of the writes below had begun.
        const { rows } = await observer!.query<{ at: string }>(
          `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at`,
        );
        const moment = rows[0]!.at;
        // B: begins after A, and commits before it.
        await createClaim(t.http, incident.id, fast.id, { review_status: 'accepted', killed: 20 });
        await holder.query('COMMIT');
        expect((await rerate).status).toBe(200);

        const history = await t.http.get(`/v1/incidents/${incident.id}/history`).expect(200);
        const entries = history.body.data as { version: number; changed_at: string; cause: unknown }[];
        expect(entries.map((e) => [e.version, e.cause])).toEqual([
          [1, null],
          [2, expect.objectContaining({ reason: 'claim created' })],
          [3, expect.objectContaining({ reason: 'claim created' })],
          [4, { source_id: slow.id, reason: 'source reliability or independence group changed' }],
        ]);
        const asOf = await t.http.get(`/v1/incidents/${incident.id}`).query({ as_of: moment }).expect(200);
        // RFC 3339 UTC strings of one format sort in time order.
        const times = entries.map((e) => e.changed_at);
        expect({ times, versionAsOfMoment: asOf.body.version }).toEqual({
          times: [...times].sort(),
          versionAsOfMoment: 2,
        });
      } finally {
        await holder.query('ROLLBACK').catch(() => undefined);
        await holder.end();
      }
    },
  );
});

describe('the change feed', () => {
  it('gives every change exactly once, in increasing cursor order, to a client polling during writes', async () => {
    const start = await feedEnd();
    let writing = true;
    const writes = Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.http
          .post('/v1/sources')
          .send(sourceBody({ name: `Polled ${i}` }))
          .expect(201),
      ),
    ).finally(() => {
      writing = false;
    });

    const seen: Change[] = [];
    let cursor = start;
    let polls = 0;
    for (;;) {
      const done = !writing;
      const res = await t.http.get(`/v1/changes?after=${cursor}&limit=7`).expect(200);
      seen.push(...res.body.data);
      cursor = res.body.next_cursor;
      polls++;
      // One more empty poll after the writers finished proves nothing is left behind.
      if (done && res.body.data.length === 0) break;
      if (polls > 1000) throw new Error('the feed never caught up');
    }
    const created = await writes;

    expect(seen.every((c, i) => i === 0 || before(seen[i - 1]!.cursor, c.cursor))).toBe(true);
    expect(seen.map((c) => c.resource_id).sort()).toEqual(created.map((r) => r.body.id).sort());
    expect(seen.every((c) => c.action === 'create' && c.resource_type === 'source')).toBe(true);
    expect(cursor).toBe(seen.at(-1)!.cursor);
  });

  onServer(
    'holds back changes behind a transaction still running, and gives both once it commits',
    async () => {
      const start = await feedEnd();
      const repository = createSourceRepository();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let reachedGate!: () => void;
      const reached = new Promise<void>((resolve) => (reachedGate = resolve));

      // The earlier write: it starts first and stays open in the middle of its transaction.
      const { kernel } = createServices(t.database.db);
      const earlier = kernel.run({ context: { actor: 'test' } }, async (write) => {
        const row = await repository.insert(write.tx, {
          name: 'Begun first, committed last',
          kind: 'ngo',
        } as NewSourceRow);
        const state = toSourceDto(row);
        write.record({ type: 'source', state });
        reachedGate();
        await gate;
        return state;
      });
      try {
        await reached;

        // The later write commits while the earlier one is still open.
        const later = await t.http
          .post('/v1/sources')
          .send(sourceBody({ name: 'Begun last, committed first' }))
          .expect(201);

        // A client polling meanwhile gets nothing: the later change waits behind the transaction still running,
        // which could still journal a change ahead of it.
        const meanwhile = await t.http.get(`/v1/changes?after=${start}`).expect(200);
        expect(meanwhile.body).toEqual({ data: [], next_cursor: start });

        release();
        const held = await earlier;

        const after = await t.http.get(`/v1/changes?after=${start}`).expect(200);
        expect(after.body.data).toEqual([
          {
            cursor: expect.stringMatching(/^\d+\.\d+$/),
            resource_type: 'source',
            resource_id: held.id,
            version: 1,
            action: 'create',
            actor: 'test',
            changed_at: committedAtOrAfter(held.created_at as string),
            state: held,
          },
          expect.objectContaining({ resource_id: later.body.id, actor: t.admin.id, state: later.body }),
        ]);
        expect(after.body.next_cursor).toBe(after.body.data[1].cursor);
        expect(before(start, after.body.data[0].cursor)).toBe(true);
      } finally {
        release();
        await earlier.catch(() => undefined);
      }
    },
  );

  onServer(
    'gives every committed change exactly once to a reader paging while writers commit out of order',
    async () => {
      const rng = random(20261206);
      const incidents = await Promise.all(
        Array.from({ length: 4 }, (_, i) => createIncident(t.http, { title: `Contested ${i}` })),
      );
      const source = await createSource(t.http, { name: 'Paged source' });
      const afterSetup = await feedEnd();
      const repository = createSourceRepository();
      // The writers have connections of their own, so that the reader's requests never queue behind them.
      const writerDatabase = openPostgres({ url: t.url!, poolMax: 30 });
      const { kernel, claims, sources } = createServices(writerDatabase.db);

      // 120 writers: each holds its transaction open for a random time before committing (a few roll back),
      // creating sources or claims on a few shared incidents, so that transactions interleave on the same rows.
      let writing = 0;
      const rolledBack = new Error('rolled back on purpose');
      const writers = Array.from({ length: 120 }, (_, i) => {
        const delay = rng.int(0, 80);
        const abort = rng.chance(0.1);
        const incident = rng.pick(incidents);
        writing++;
        const work =
          i % 4 === 3
            ? // Re-rating the source takes its row, then waits for the incidents that claim writers hold.
              (async () => {
                await new Promise((r) => setTimeout(r, delay));
                await sources.update(
                  source.id,
                  { reliability: rng.pick(['A', 'B', 'C', 'D']) },
                  { context: { actor: `writer-${i}` } },
                );
                return undefined;
              })()
            : i % 2 === 0
              ? kernel.run({ context: { actor: `writer-${i}` } }, async (write) => {
                  const state = toSourceDto(
                    await repository.insert(write.tx, { name: `Writer ${i}`, kind: 'ngo' } as NewSourceRow),
                  );
                  write.record({ type: 'source', state });
                  await new Promise((r) => setTimeout(r, delay));
                  if (abort) throw rolledBack;
                  return state.id;
                })
              : (async () => {
                  await new Promise((r) => setTimeout(r, delay));
                  if (abort) return undefined;
                  const claim = await claims.create(
                    {
                      incident_id: incident.id,
                      source_id: source.id,
                      stance: 'supports',
                      review_status: 'accepted',
                      figures_are_minimum: false,
                      credibility: 6,
                      killed: rng.int(1, 100),
                    },
                    { context: { actor: `writer-${i}` } },
                  );
                  return claim.id;
                })();
        return work
          .catch((err: unknown) => {
            if (err !== rolledBack) throw err;
            return undefined;
          })
          .finally(() => writing--);
      });

      const seen: Change[] = [];
      let cursor = afterSetup;
      for (let polls = 0; ; polls++) {
        const done = writing === 0;
        const res = await t.http.get(`/v1/changes?after=${cursor}&limit=5`).expect(200);
        seen.push(...res.body.data);
        cursor = res.body.next_cursor;
        if (done && res.body.data.length === 0) break;
        if (polls > 5000) throw new Error('the feed never caught up');
      }
      const written = (await Promise.all(writers)).filter((id): id is string => id !== undefined);
      await writerDatabase.close();

      // Exactly once: the reader's pages hold every change the journal has after the setup, and nothing twice.
      const { rows: journal } = await observer!.query<{ id: string; version: number }>(
        `SELECT resource_type || ':' || resource_id || ':' || version AS id FROM changes
         WHERE (xid, seq) > ($1::bigint, $2::bigint)`,
        position(afterSetup).map(String),
      );
      const keys = seen.map((c) => `${c.resource_type}:${c.resource_id}:${c.version}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect([...keys].sort()).toEqual(journal.map((r) => r.id).sort());
      expect(seen.every((c, i) => i === 0 || before(seen[i - 1]!.cursor, c.cursor))).toBe(true);
      // Every write that committed is there; nothing of those rolled back.
      const created = new Set(seen.filter((c) => c.action === 'create').map((c) => c.resource_id));
      expect(written.every((id) => created.has(id))).toBe(true);
      // A record's versions come in version order, so a mirror may apply the feed as it comes.
      const lastVersion = new Map<string, number>();
      for (const c of seen) {
        const key = `${c.resource_type}:${c.resource_id}`;
        expect([key, c.version > (lastVersion.get(key) ?? 0)]).toEqual([key, true]);
        lastVersion.set(key, c.version);
      }
      // The incidents' figures moved: their versions interleave with the claims in the feed.
      expect(seen.some((c) => c.resource_type === 'incident')).toBe(true);
    },
  );
});
