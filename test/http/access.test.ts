import { atLeast, POLICY, type Role } from '../../src/http/access';
import { PROTECTED_NAME } from '../../src/http/redaction';
import { createTestApp, type TestApp } from '../helpers/app';
import { createClaim, createIncident, createSource, expectProblem } from '../helpers/factories';

let t: TestApp;
type Agent = TestApp['http'];
const callers: Record<string, { role: Role; http: Agent | TestApp['anonymous'] }> = {};
const ids: Record<string, string> = {};
let revoked: Agent;

const SECRET_WORD = 'zqxwitnessname';
const SECRET_NAME = 'Zqx Witness Collective';

beforeAll(async () => {
  t = await createTestApp();
  callers.anonymous = { role: 'anonymous', http: t.anonymous };
  for (const role of ['reader', 'contributor', 'verifier', 'admin'] as const) {
    callers[role] = { role, http: (await t.as(role)).http };
  }
  const gone = await t.as('contributor', 'revoked key');
  await t.http.delete(`/v1/api-keys/${gone.key.id}`).expect(204);
  revoked = gone.http;

  const source = await createSource(t.http, {
    name: SECRET_NAME,
    acronym: 'ZQX',
    url: 'https://zqx.example.org/',
    notes: `contact ${SECRET_WORD}`,
    protected: true,
  });
  const open = await createSource(t.http, { name: 'Open Monitor' });
  const incident = await createIncident(t.http);
  const claim = await createClaim(t.http, incident.id, source.id, {
    statement: `Testimony by ${SECRET_WORD}`,
    url: 'https://zqx.example.org/testimony',
    review_status: 'accepted',
  });
  await createClaim(t.http, incident.id, open.id, { statement: 'public report' });
  Object.assign(ids, { source: source.id, incident: incident.id, claim: claim.id, open: open.id });
});
afterAll(() => t.close());

const ID_OF: Record<string, string> = {
  sources: 'source',
  incidents: 'incident',
  claims: 'claim',
  'api-keys': 'open',
};

/** A concrete URL for a catalogued route: ids of live records of the right kind. */
function urlFor(pattern: string): string {
  return pattern.replace(/:id/, () => ids[ID_OF[pattern.split('/')[2] ?? ''] ?? 'incident'] ?? ids.incident!);
}

describe('the access policy', () => {
  test('every registered route declares its access', () => {
    const undeclared = t.app.routeCatalog.filter((r) => r.access === undefined);
    expect(undeclared).toEqual([]);
    expect(t.app.routeCatalog.length).toBeGreaterThan(25);
  });

  test('no caller gets a 2xx from a route above its role; callers at or above it are never refused', async () => {
    const violations: string[] = [];
    const routes = t.app.routeCatalog.filter((r) => r.url.startsWith('/v1/'));
    for (const route of routes) {
      const least = POLICY[route.access!];
      for (const [name, caller] of Object.entries(callers)) {
        const url = urlFor(route.url);
        const method = route.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
        // Bodies that fail validation: an allowed caller gets 400, so nothing is written by this sweep.
        const req = caller.http[method](
          route.method === 'DELETE'
            ? url.replace(/[0-9a-f-]{36}$/, '00000000-0000-4000-8000-000000000000')
            : url,
        );
        const res =
          method === 'post' || method === 'patch' ? await req.send({ unknown_field: true }) : await req;
        const effective = name === 'anonymous' && route.access === 'read' ? 'reader' : caller.role;
        const allowed = atLeast(effective, least);
        if (!allowed && res.status < 400)
          violations.push(`${name} got ${res.status} from ${route.method} ${route.url}`);
        if (!allowed && ![401, 403].includes(res.status))
          violations.push(`${name} got ${res.status}, not 401/403, from ${route.method} ${route.url}`);
        if (allowed && [401, 403].includes(res.status))
          violations.push(`${name} was refused ${route.method} ${route.url}`);
      }
    }
    expect(violations).toEqual([]);
  });

  test('a revoked key is refused with 401, even for reads', async () => {
    const res = await revoked.get('/v1/incidents');
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
    const reader = await callers.reader!.http.post('/v1/sources').send({ name: 'X', kind: 'ngo' });
    expectProblem(reader, {
      type: '/problems/forbidden',
      title: 'Forbidden',
      status: 403,
      detail: 'POST /v1/sources needs the contributor role; this key is reader.',
    });
  });

  test('reviewing a claim needs a verifier; a contributor may still edit its other fields', async () => {
    const contributor = callers.contributor!.http;
    const review = await contributor.patch(`/v1/claims/${ids.claim}`).send({ review_status: 'rejected' });
    expect(review.status).toBe(403);
    const accepted = await contributor.post('/v1/claims').send({
      incident_id: ids.incident,
      source_id: ids.open,
      review_status: 'accepted',
    });
    expect(accepted.status).toBe(403);
    await contributor.post('/v1/claims').send({ incident_id: ids.incident, source_id: ids.open }).expect(201);
    await callers
      .verifier!.http.patch(`/v1/claims/${ids.claim}`)
      .send({ review_note: 'checked' })
      .expect(200);
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

describe('protected sources', () => {
  const views = () => [
    `/v1/sources/${ids.source}`,
    '/v1/sources',
    `/v1/sources?q=zqx`,
    `/v1/sources/${ids.source}/history`,
    `/v1/claims/${ids.claim}`,
    '/v1/claims',
    `/v1/claims/${ids.claim}/history`,
    `/v1/incidents/${ids.incident}/claims`,
    `/v1/incidents/${ids.incident}/claims?format=csv`,
    '/v1/export/sources?format=csv',
    '/v1/export/sources?format=ndjson',
    '/v1/export/claims',
    '/v1/export/claims?format=csv',
    '/v1/changes?limit=1000',
  ];

  test.each(['anonymous', 'reader'])('%s sees no identifying field anywhere', async (name) => {
    for (const url of views()) {
      const res = await callers[name]!.http.get(url);
      expect([url, res.status]).toEqual([url, 200]);
      for (const secret of [SECRET_NAME, SECRET_WORD, 'zqx.example.org', 'ZQX']) {
        expect([url, res.text.includes(secret)]).toEqual([url, false]);
      }
    }
    const source = await callers[name]!.http.get(`/v1/sources/${ids.source}`);
    expect(source.body).toMatchObject({
      name: PROTECTED_NAME,
      acronym: null,
      url: null,
      notes: null,
      protected: true,
    });
    const claim = await callers[name]!.http.get(`/v1/claims/${ids.claim}`);
    expect(claim.body).toMatchObject({ statement: null, url: null, source_id: ids.source });
  });

  test.each(['anonymous', 'reader'])('%s cannot find a protected claim by its words', async (name) => {
    const res = await callers[name]!.http.get(`/v1/incidents?q=${SECRET_WORD}`).expect(200);
    expect(res.body.data).toEqual([]);
    const stats = await callers[name]!.http.get(
      `/v1/stats/incidents?group_by=status&q=${SECRET_WORD}`,
    ).expect(200);
    expect(stats.body.data).toEqual([]);
  });

  test('a contributor sees the source and finds it', async () => {
    const http = callers.contributor!.http;
    const source = await http.get(`/v1/sources/${ids.source}`).expect(200);
    expect(source.body.name).toBe(SECRET_NAME);
    const found = await http.get(`/v1/incidents?q=${SECRET_WORD}`).expect(200);
    expect(found.body.data.map((i: { id: string }) => i.id)).toEqual([ids.incident]);
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
