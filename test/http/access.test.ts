import { createHash } from 'node:crypto';
import { buildApp, type RouteEntry } from '../../src/app';
import { loadConfig } from '../../src/config';
import { atLeast, POLICY, type Role } from '../../src/http/access';
import { PROTECTED_NAME } from '../../src/http/redaction';
import { createTestApp, type TestApp } from '../helpers/app';
import {
  countRows,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  notFoundProblem,
} from '../helpers/factories';

let t: TestApp;
type Http = TestApp['http'] | TestApp['anonymous'];

/** Who calls: nobody, each role, and a revoked key, which must count for nothing (not even anonymous). */
interface Caller {
  name: string;
  role: Role;
  revoked: boolean;
  http: Http;
}
const callers: Caller[] = [];
const caller = (name: string) => callers.find((c) => c.name === name)!;
/** Callers below contributor: protected sources must stay hidden from them. */
const shielded = () => callers.filter((c) => c.revoked || !atLeast(c.role, 'contributor'));

/**
 * The identifying fields of a protected source and of its claims. Each value is a string found nowhere else, so
 * finding one in a response (body or headers) is a leak, whatever the format or the field it hides in.
 */
function secretsOf(tag: string) {
  const source = {
    name: `${tag.toUpperCase()} Witness Collective`,
    acronym: `${tag.toUpperCase()}WCOLL`,
    url: `https://${tag}-witness.example.org/`,
    notes: `contact ${tag}notesword`,
    independence_group: `${tag}-family-circle`,
    protected: true,
  };
  const claim = {
    statement: `Testimony by ${tag}statementword`,
    translation: `Translated: ${tag}translationword`,
    url: `https://${tag}-claim.example.org/t`,
    archived_url: `https://${tag}-archive.example.org/t`,
    content_sha256: createHash('sha256').update(tag).digest('hex'),
    killed: 5,
  };
  const words = [
    source.name,
    source.acronym,
    `${tag}notesword`,
    `${tag}statementword`,
    `${tag}translationword`,
  ];
  // A verifier's rationale, which often names a source: withheld below contributor like a review note.
  const rationale = `Ruled on the testimony collected by ${tag}rationaleword`;
  const markers = [
    ...words,
    source.independence_group,
    `${tag}rationaleword`,
    `${tag}-witness.example.org`,
    `${tag}-claim.example.org`,
    `${tag}-archive.example.org`,
    claim.content_sha256,
  ];
  return { source, claim, words, markers, rationale };
}
const PROTECTED = secretsOf('zqx');
const DELETED = secretsOf('ydw');
const MARKERS = [...PROTECTED.markers, ...DELETED.markers];

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * The records a route's `:id` names, per target: live open records; a live protected source and its claim (its
 * incident is live); and a deleted protected source, its deleted claim and their deleted incident. For API keys,
 * a working key, and the revoked one.
 */
type Target = 'live' | 'protected' | 'deleted';
type Kind = 'source' | 'incident' | 'claim' | 'api-key';
const TARGETS: Target[] = ['live', 'protected', 'deleted'];
const targets = {} as Record<Target, Record<Kind, string>>;
/** When the deleted records still existed: between their creation and their deletion. */
let beforeDeletion: string;

beforeAll(async () => {
  t = await createTestApp();
  callers.push({ name: 'anonymous', role: 'anonymous', revoked: false, http: t.anonymous });
  for (const role of ['reader', 'contributor', 'verifier', 'admin'] as const) {
    callers.push({ name: role, role, revoked: false, http: (await t.as(role)).http });
  }
  const gone = await t.as('admin', 'revoked key');
  await t.http.delete(`/v1/api-keys/${gone.key.id}`).expect(204);
  callers.push({ name: 'revoked admin key', role: 'admin', revoked: true, http: gone.http });

  const open = await createSource(t.http, { name: 'Open Monitor' });
  const incident = await createIncident(t.http);
  const openClaim = await createClaim(t.http, incident.id, open.id, { statement: 'public report' });
  const witness = await createSource(t.http, PROTECTED.source);
  const testimony = await createClaim(t.http, incident.id, witness.id, {
    ...PROTECTED.claim,
    review_status: 'accepted',
  });
  await createClaim(t.http, incident.id, witness.id, { ...PROTECTED.claim, stance: 'contradicts' });
  await t.http
    .post(`/v1/incidents/${incident.id}/verification`)
    .send({ status: 'verified', rationale: PROTECTED.rationale })
    .expect(200);

  const deletedSource = await createSource(t.http, DELETED.source);
  const deletedIncident = await createIncident(t.http, { title: 'Abduction at a checkpoint' });
  await t.http
    .post(`/v1/incidents/${deletedIncident.id}/verification`)
    .send({ status: 'discredited', rationale: DELETED.rationale })
    .expect(200);
  const deletedClaim = await createClaim(t.http, deletedIncident.id, deletedSource.id, {
    ...DELETED.claim,
    review_status: 'accepted',
  });
  // Versions are dated at commit: the claim's creation is the last commit before the deletions.
  const created = await t.http.get(`/v1/claims/${deletedClaim.id}/history`).expect(200);
  beforeDeletion = created.body.data[0].changed_at;
  await t.http.delete(`/v1/claims/${deletedClaim.id}`).expect(204);
  await t.http.delete(`/v1/sources/${deletedSource.id}`).expect(204);
  await t.http.delete(`/v1/incidents/${deletedIncident.id}`).expect(204);

  const key = t.admin.id;
  targets.live = { source: open.id, incident: incident.id, claim: openClaim.id, 'api-key': key };
  targets.protected = { source: witness.id, incident: incident.id, claim: testimony.id, 'api-key': key };
  targets.deleted = {
    source: deletedSource.id,
    incident: deletedIncident.id,
    claim: deletedClaim.id,
    'api-key': gone.key.id,
  };
});
afterAll(() => t.close());

const KIND_OF: Record<string, Kind> = {
  sources: 'source',
  incidents: 'incident',
  claims: 'claim',
  'api-keys': 'api-key',
};

/**
 * Route parameters name the target's record of the route's resource, other parameters an unknown id. A DELETE
 * names a live record by an unknown id instead: the sweep deletes nothing.
 */
function pathFor(route: RouteEntry, target: Target): string {
  // The CORS preflight route matches every path.
  if (route.url === '*') return '/v1/incidents';
  const kind = KIND_OF[route.url.split('/')[2] ?? ''];
  const spared = route.method === 'DELETE' && target !== 'deleted';
  return route.url
    .replace(/:id\b/, kind && !spared ? targets[target][kind] : UNKNOWN_ID)
    .replace(/:\w+/g, UNKNOWN_ID)
    .replace('*', 'index.html');
}

const hasParameter = (route: RouteEntry) => /:\w+/.test(route.url);
const isHistory = (route: RouteEntry) => route.url.endsWith('/history');

interface OpenApiOperation {
  parameters?: { in: string; name: string; required?: boolean; schema?: { enum?: unknown[] } }[];
}

function operationOf(route: RouteEntry): OpenApiOperation | undefined {
  const document = t.app.swagger() as unknown as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  return document.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
}

/** Whether the route takes this query parameter (an unknown one is refused). */
const takes = (route: RouteEntry, name: string) =>
  (operationOf(route)?.parameters ?? []).some((p) => p.in === 'query' && p.name === name);

/** The query parameters the route requires, with a valid value each, read from the app's own OpenAPI document. */
function requiredQuery(route: RouteEntry): Record<string, string> {
  const operation = operationOf(route);
  return Object.fromEntries(
    (operation?.parameters ?? [])
      .filter((p) => p.in === 'query' && p.required)
      .map((p) => [p.name, String(p.schema?.enum?.[0] ?? 'x')]),
  );
}

/**
 * A body that fails validation, so that the sweep writes nothing: a caller allowed through is turned away for the
 * body (the matrix fails on any 2xx). On deleted records the sweep sends valid bodies instead, which must fail
 * because the record is gone.
 */
const INVALID_BODY = { unknown_field: true };
const bodiesOnDeleted = (): Record<string, object> => ({
  'PATCH /v1/sources/:id': { notes: 'edited after deletion' },
  'PATCH /v1/incidents/:id': { summary: 'edited after deletion' },
  'PATCH /v1/claims/:id': { language: 'fr' },
  'POST /v1/incidents/:id/verification': { status: 'verified', rationale: 'checked after deletion' },
  'POST /v1/claims': { incident_id: targets.deleted.incident, source_id: targets.deleted.source },
});

/** The request the sweep makes for one route, target and caller. */
function requestFor(route: RouteEntry, target: Target, http: Http) {
  const query = new URLSearchParams(requiredQuery(route));
  if (route.method === 'GET' && !hasParameter(route) && route.url.startsWith('/v1/')) {
    // Lists and feeds whole, deleted records included where the route knows the filter.
    if (takes(route, 'limit')) query.set('limit', '1000');
    if (target === 'deleted' && takes(route, 'include_deleted')) query.set('include_deleted', 'true');
  }
  const url = `${pathFor(route, target)}${query.size ? `?${query}` : ''}`;
  const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete' | 'options';
  const body = target === 'deleted' ? bodiesOnDeleted()[`${route.method} ${route.url}`] : undefined;
  const request = http[method](url);
  return {
    url,
    validBody: body !== undefined,
    response: method === 'post' || method === 'patch' ? request.send(body ?? INVALID_BODY) : request,
  };
}

/** Whether the policy lets this caller through a route with this access. */
function allowedThrough(caller: Caller, access: RouteEntry['access']): boolean {
  if (access === 'public') return true;
  if (caller.revoked || access === undefined) return false;
  // Anonymous reading is on in this app.
  if (caller.role === 'anonymous' && access === 'read') return true;
  return atLeast(caller.role, POLICY[access]);
}

/** What a caller allowed through must get from a /v1 route, when the sweep can know it. */
function expectedStatus(route: RouteEntry, target: Target, validBody: boolean): number | undefined {
  const onDeleted = target === 'deleted' && hasParameter(route) && !isHistory(route);
  if (route.method === 'GET') return onDeleted ? 404 : 200;
  if (route.method === 'DELETE') return 404; // an id that never existed, or a deleted record
  if (onDeleted && validBody) return 404;
  if (target === 'deleted' && validBody) return 422; // a new record naming deleted ones
  return undefined;
}

const leaks = (text: string) => MARKERS.filter((m) => text.includes(m));

/** The names of catalogued routes that declare no access policy. */
const undeclared = (catalog: RouteEntry[]) =>
  catalog.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.url}`);

describe('the access policy', () => {
  test('every registered route declares its access', () => {
    expect(undeclared(t.app.routeCatalog)).toEqual([]);
    expect(t.app.routeCatalog.length).toBeGreaterThan(25);
  });

  test('a route registered without an access policy is caught by that check, and closed', async () => {
    // Without load shedding, like the test app: a busy machine must not turn the answer into a 503.
    const config = loadConfig({ MAX_EVENT_LOOP_DELAY_MS: '0' });
    const probe = await buildApp({ config, database: t.database, logger: false });
    probe.get('/v1/unguarded', async () => ({ secret: PROTECTED.source.name }));
    await probe.ready();
    try {
      expect(undeclared(probe.routeCatalog)).toEqual(['GET /v1/unguarded']);
      const res = await probe.inject({ method: 'GET', url: '/v1/unguarded' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({
        type: '/problems/forbidden',
        detail: 'This route declares no access policy, so it is closed.',
      });
    } finally {
      await probe.close();
    }
  });

  /**
   * Every catalogued route × every caller × live, protected and deleted records: a caller the policy refuses gets
   * 401 (no key, or a revoked one) or 403 (a key below the role), never anything else; a caller it lets through
   * is never refused, never gets a 5xx, and gets what the record's state calls for; no caller below contributor
   * finds a protected source's identity anywhere in the response; and the sweep writes nothing.
   */
  test.each(TARGETS)('the matrix over %s records', async (target) => {
    const violations: string[] = [];
    const feedBefore = (await t.http.get('/v1/changes?limit=1000')).body.next_cursor;
    const rowsBefore = await Promise.all(
      (['sources', 'incidents', 'claims'] as const).map((table) => countRows(t.database, table)),
    );
    for (const route of t.app.routeCatalog) {
      for (const who of callers) {
        const { url, validBody, response } = requestFor(route, target, who.http);
        const res = await response;
        const where = `${who.name}: ${route.method} ${url} → ${res.status}`;
        if (!allowedThrough(who, route.access)) {
          const refusal = who.role === 'anonymous' || who.revoked ? 401 : 403;
          if (res.status !== refusal) violations.push(`${where}, not ${refusal}`);
        } else {
          if ([401, 403].includes(res.status)) violations.push(`${where}: refused though allowed`);
          if (res.status >= 500) violations.push(`${where}: server error`);
          const expected = route.url.startsWith('/v1/') && expectedStatus(route, target, validBody);
          if (expected && res.status !== expected) violations.push(`${where}, not ${expected}`);
          if (route.method !== 'GET' && route.url.startsWith('/v1/') && res.status < 300)
            violations.push(`${where}: the sweep wrote something`);
        }
        if (shielded().includes(who)) {
          const found = leaks(`${JSON.stringify(res.headers)}\n${res.text}`);
          if (found.length > 0) violations.push(`${where}: leaks ${found.join(', ')}`);
        }
      }
    }
    expect(violations).toEqual([]);
    expect((await t.http.get('/v1/changes?limit=1000')).body.next_cursor).toBe(feedBefore);
    expect(
      await Promise.all(
        (['sources', 'incidents', 'claims'] as const).map((table) => countRows(t.database, table)),
      ),
    ).toEqual(rowsBefore);
  });

  test('no caller below contributor can find a protected source by searching for its words', async () => {
    // A search for a protected word must answer exactly as a search for a word found nowhere: anything else
    // (a record found, a count that moves) tells the caller the word belongs to a protected source.
    const differences: string[] = [];
    const gets = t.app.routeCatalog.filter((r) => r.method === 'GET' && r.url.startsWith('/v1/'));
    // Only routes that search: q elsewhere is refused alike for any word.
    for (const route of gets.filter((r) => takes(r, 'q'))) {
      for (const target of ['protected', 'deleted'] as const) {
        // A revoked key is refused before any search (the matrix checks that).
        // Incidents search one way when ranked by relevance and another when sorted otherwise: both are asked.
        const sorts = ['/v1/incidents', '/v1/export/incidents'].includes(route.url)
          ? [undefined, '-occurred_from']
          : [undefined];
        for (const who of shielded().filter((c) => !c.revoked)) {
          for (const sort of sorts) {
            const search = async (term: string) => {
              const query = new URLSearchParams({ ...requiredQuery(route), q: term });
              if (takes(route, 'limit')) query.set('limit', '1000');
              if (target === 'deleted' && takes(route, 'include_deleted'))
                query.set('include_deleted', 'true');
              if (sort) query.set('sort', sort);
              return who.http.get(`${pathFor(route, target)}?${query}`);
            };
            const nothing = await search('qqqnowherewordqqq');
            for (const word of target === 'protected' ? PROTECTED.words : DELETED.words) {
              const res = await search(word);
              if (res.status !== nothing.status || (res.status === 200 && res.text !== nothing.text)) {
                differences.push(
                  `${who.name}: ${route.url}?q=${word}${sort ? `&sort=${sort}` : ''} answers otherwise than a search for nothing`,
                );
              }
            }
          }
        }
      }
    }
    expect(differences).toEqual([]);
  });

  test('a revoked key is refused with 401, even for reads', async () => {
    const res = await caller('revoked admin key').http.get('/v1/incidents');
    expectProblem(res, {
      type: '/problems/unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'This API key is unknown or has been revoked.',
    });
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  test('a malformed Authorization header is 401, not a silent anonymous read', async () => {
    const res = await t.anonymous.get('/v1/incidents').set('authorization', 'Basic abc');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  test('anonymous writes are 401 with a Bearer challenge; a reader writing is 403', async () => {
    const anon = await t.anonymous.post('/v1/sources').send({ name: 'X', kind: 'ngo' });
    expect(anon.status).toBe(401);
    expect(anon.headers['www-authenticate']).toBe('Bearer');
    const reader = await caller('reader').http.post('/v1/sources').send({ name: 'X', kind: 'ngo' });
    expectProblem(reader, {
      type: '/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'POST /v1/sources needs the contributor role; this key is reader.',
    });
  });

  test('reviewing a claim needs a verifier; a contributor may still edit its other fields', async () => {
    const contributor = caller('contributor').http;
    const claim = targets.protected.claim;
    const review = await contributor.patch(`/v1/claims/${claim}`).send({ review_status: 'rejected' });
    expect(review.status).toBe(403);
    const accepted = await contributor.post('/v1/claims').send({
      incident_id: targets.live.incident,
      source_id: targets.live.source,
      review_status: 'accepted',
    });
    expect(accepted.status).toBe(403);
    await contributor
      .post('/v1/claims')
      .send({ incident_id: targets.live.incident, source_id: targets.live.source })
      .expect(201);
    await caller('verifier').http.patch(`/v1/claims/${claim}`).send({ review_note: 'checked' }).expect(200);
  });

  test('with anonymous reading switched off, reads need a key', async () => {
    const closed = await createTestApp({ ANONYMOUS_READ: 'false' });
    try {
      expect((await closed.anonymous.get('/v1/incidents')).status).toBe(401);
      await closed.http.get('/v1/incidents').expect(200);
      await closed.anonymous.get('/healthz').expect(200);
    } finally {
      await closed.close();
    }
  });
});

describe('deleted records', () => {
  test.each(['source', 'incident', 'claim'] as const)(
    'a deleted %s is 404 to every reader; its history stays readable',
    async (kind) => {
      const id = targets.deleted[kind];
      for (const who of callers.filter((c) => !c.revoked)) {
        const res = await who.http.get(`/v1/${kind}s/${id}`);
        expectProblem(res, notFoundProblem(kind, id));
        const history = await who.http.get(`/v1/${kind}s/${id}/history`).expect(200);
        expect(history.body.data.at(-1).action).toBe('delete');
      }
    },
  );

  test('new claims cannot name a deleted incident or a deleted source', async () => {
    const contributor = caller('contributor').http;
    for (const [incident, source] of [
      [targets.deleted.incident, targets.live.source],
      [targets.live.incident, targets.deleted.source],
    ]) {
      const res = await contributor.post('/v1/claims').send({ incident_id: incident, source_id: source });
      expect([res.status, res.body.type]).toEqual([422, '/problems/unprocessable']);
    }
  });

  test.each(['anonymous', 'reader'])(
    '%s reading a deleted protected record as it was before its deletion sees it redacted',
    async (name) => {
      const http = caller(name).http;
      const asOf = encodeURIComponent(beforeDeletion);
      const source = await http.get(`/v1/sources/${targets.deleted.source}?as_of=${asOf}`).expect(200);
      expect(source.body).toMatchObject({
        name: PROTECTED_NAME,
        acronym: null,
        url: null,
        notes: null,
        independence_group: null,
      });
      const claim = await http.get(`/v1/claims/${targets.deleted.claim}?as_of=${asOf}`).expect(200);
      expect(claim.body).toMatchObject({
        statement: null,
        translation: null,
        url: null,
        content_sha256: null,
      });
      expect(leaks(source.text + claim.text)).toEqual([]);
    },
  );

  test('a contributor sees a deleted protected record as it was', async () => {
    const asOf = encodeURIComponent(beforeDeletion);
    const http = caller('contributor').http;
    const source = await http.get(`/v1/sources/${targets.deleted.source}?as_of=${asOf}`).expect(200);
    expect(source.body.name).toBe(DELETED.source.name);
    expect(source.body.independence_group).toBe(DELETED.source.independence_group);
    const claim = await http.get(`/v1/claims/${targets.deleted.claim}?as_of=${asOf}`).expect(200);
    expect(claim.body.statement).toBe(DELETED.claim.statement);
  });
});

describe('protected sources', () => {
  const views = () => {
    const { source, claim, incident } = targets.protected;
    return [
      `/v1/sources/${source}`,
      '/v1/sources',
      `/v1/sources/${source}/history`,
      `/v1/claims/${claim}`,
      '/v1/claims',
      `/v1/claims/${claim}/history`,
      `/v1/incidents/${incident}/claims`,
      `/v1/incidents/${incident}/claims?format=csv`,
      '/v1/export/sources?format=csv',
      '/v1/export/sources?format=ndjson',
      '/v1/export/claims',
      '/v1/export/claims?format=csv&hxl=true',
      '/v1/export/claims?format=ndjson&include_deleted=true',
      '/v1/claims?include_deleted=true&format=csv',
      `/v1/sources/${targets.deleted.source}/history`,
      `/v1/claims/${targets.deleted.claim}/history`,
      '/v1/changes?limit=1000',
      `/v1/sources/${source}?as_of=${encodeURIComponent(new Date().toISOString())}`,
      `/v1/sources/${source}?fields=name,independence_group`,
      '/v1/sources?format=csv&hxl=true',
      '/v1/sources?format=ndjson',
      '/v1/sources?fields=independence_group',
      '/v1/export/sources',
      '/v1/export/sources?fields=independence_group&format=csv',
    ];
  };

  test.each(['anonymous', 'reader'])('%s sees no identifying field anywhere', async (name) => {
    const http = caller(name).http;
    for (const url of views()) {
      const res = await http.get(url);
      expect([url, res.status]).toEqual([url, 200]);
      expect([url, leaks(res.text)]).toEqual([url, []]);
    }
    const source = await http.get(`/v1/sources/${targets.protected.source}`);
    expect(source.body).toMatchObject({
      name: PROTECTED_NAME,
      acronym: null,
      url: null,
      notes: null,
      independence_group: null,
      protected: true,
    });
    const claim = await http.get(`/v1/claims/${targets.protected.claim}`);
    expect(claim.body).toMatchObject({
      statement: null,
      translation: null,
      url: null,
      archived_url: null,
      content_sha256: null,
      source_id: targets.protected.source,
      killed: 5,
    });
  });

  test.each(['anonymous', 'reader'])('%s cannot find a protected claim by its words', async (name) => {
    const http = caller(name).http;
    const word = 'zqxstatementword';
    const res = await http.get(`/v1/incidents?q=${word}`).expect(200);
    expect(res.body.data).toEqual([]);
    const stats = await http.get(`/v1/stats/incidents?group_by=status&q=${word}`).expect(200);
    expect(stats.body.data).toEqual([]);
  });

  test('a contributor sees the source and finds it', async () => {
    const http = caller('contributor').http;
    const source = await http.get(`/v1/sources/${targets.protected.source}`).expect(200);
    expect(source.body.name).toBe(PROTECTED.source.name);
    expect(source.body.independence_group).toBe(PROTECTED.source.independence_group);
    const found = await http.get('/v1/incidents?q=zqxstatementword').expect(200);
    expect(found.body.data.map((i: { id: string }) => i.id)).toEqual([targets.protected.incident]);
  });
});

describe('API keys', () => {
  test('the secret is shown once; lists never show it; a revoked key stops working at once', async () => {
    const created = await t.http.post('/v1/api-keys').send({ name: 'Partner X', role: 'reader' }).expect(201);
    expect(created.body.secret).toMatch(/^cbk_[A-Za-z0-9_-]{43}$/);
    expect(created.headers['cache-control']).toBe('no-store');
    const list = await t.http.get('/v1/api-keys').expect(200);
    expect(list.text.includes(created.body.secret)).toBe(false);
    const mine = list.body.data.find((k: { id: string }) => k.id === created.body.id);
    expect(mine).toMatchObject({
      name: 'Partner X',
      role: 'reader',
      prefix: created.body.secret.slice(0, 12),
    });
    const auth = `Bearer ${created.body.secret}`;
    await t.anonymous.get('/v1/incidents').set('authorization', auth).expect(200);
    await t.http.delete(`/v1/api-keys/${created.body.id}`).expect(204);
    expect((await t.anonymous.get('/v1/incidents').set('authorization', auth)).status).toBe(401);
    expect((await t.http.delete(`/v1/api-keys/${created.body.id}`)).status).toBe(404);
  });

  test('history records the key that made a change', async () => {
    const { key, http } = await t.as('contributor', 'recorder');
    const source = await createSource(http);
    const history = await t.http.get(`/v1/sources/${source.id}/history`).expect(200);
    expect(history.body.data[0].actor).toBe(key.id);
  });
});

describe('rate limits', () => {
  test('past the limit: 429 problem with Retry-After and RateLimit headers', async () => {
    const limited = await createTestApp({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) {
        const ok = await limited.anonymous.get('/v1/incidents').expect(200);
        expect(ok.headers['ratelimit-limit']).toBe('3');
      }
      const res = await limited.anonymous.get('/v1/incidents');
      expect(res.status).toBe(429);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      expect(res.body).toMatchObject({ type: '/problems/http-429', title: 'Too Many Requests', status: 429 });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      // Health checks are not limited.
      await limited.anonymous.get('/healthz').expect(200);
    } finally {
      await limited.close();
    }
  });
});
