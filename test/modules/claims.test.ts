import { createTestApp, type TestApp } from '../helpers/app';
import {
  claimBody,
  countRows,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  notFoundProblem,
  validationProblem,
  linkTargets,
} from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const OTHER_UNKNOWN_ID = '00000000-0000-4000-8000-000000000001';
const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

interface Claim {
  id: string;
  [field: string]: unknown;
}

async function incidentOf(id: string) {
  return (await t.http.get(`/v1/incidents/${id}`).expect(200)).body;
}

/** An incident and a source to hang claims on. */
async function scene(sourceOverrides: Record<string, unknown> = {}) {
  const incident = await createIncident(t.http);
  const source = await createSource(t.http, sourceOverrides);
  return { incident, source };
}

const accept = (id: string) =>
  t.http.patch(`/v1/claims/${id}`).send({ review_status: 'accepted' }).expect(200);

const ids = (page: { data: Claim[] }) => page.data.map((c) => c.id);

/** One figure's estimate as the API reports it. */
const estimate = (
  low: Claim,
  best: Claim,
  high: Claim,
  values: [number, number, number],
  claims: number,
) => ({
  low: values[0],
  best: values[1],
  high: values[2],
  claims,
  low_claim_id: low.id,
  best_claim_id: best.id,
  high_claim_id: high.id,
});

const noCasualties = {
  method: 'ranked-source/1',
  killed: null,
  killed_civilians: null,
  killed_combatants: null,
  injured: null,
  detained: null,
  missing: null,
};

describe('POST /v1/claims', () => {
  it('creates a claim with the documented defaults and points Location at it', async () => {
    const { incident, source } = await scene();

    const res = await t.http.post('/v1/claims').send({ incident_id: incident.id, source_id: source.id });

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      incident_id: incident.id,
      source_id: source.id,
      stance: 'supports',
      statement: null,
      language: null,
      translation: null,
      published_at: null,
      url: null,
      archived_url: null,
      content_sha256: null,
      killed: null,
      killed_civilians: null,
      killed_combatants: null,
      injured: null,
      detained: null,
      missing: null,
      figures_are_minimum: false,
      credibility: 6,
      review_status: 'pending',
      review_note: null,
      created_at: expect.stringMatching(RFC3339_UTC),
      updated_at: expect.stringMatching(RFC3339_UTC),
      version: 1,
      deleted_at: null,
    });
    expect(res.body.updated_at).toBe(res.body.created_at);
    expect(res.headers.location).toBe(`/v1/claims/${res.body.id}`);
    expect((await t.http.get(res.headers.location!).expect(200)).body).toEqual(res.body);
  });

  it('stores every writable field, returning published_at in UTC with milliseconds', async () => {
    const { incident, source } = await scene();
    const body = {
      stance: 'contradicts',
      statement: 'انتهاكات فردية',
      language: 'ar',
      translation: 'individual violations',
      url: 'https://news.example.org/2025/03/08/latakia',
      archived_url: 'https://archive.example.org/web/20250308/latakia',
      content_sha256: SHA256,
      killed: 240,
      killed_civilians: 125,
      killed_combatants: 100,
      injured: 0,
      detained: 2_147_483_647,
      missing: null,
      figures_are_minimum: true,
      credibility: 2,
      review_status: 'rejected',
      review_note: 'Contradicted by video evidence.',
    };

    const res = await t.http
      .post('/v1/claims')
      .send(claimBody(incident.id, source.id, { ...body, published_at: '2025-03-08T14:30:05.5+02:00' }))
      .expect(201);

    expect(res.body).toEqual({
      ...body,
      id: expect.stringMatching(UUID),
      incident_id: incident.id,
      source_id: source.id,
      published_at: '2025-03-08T12:30:05.500Z',
      created_at: expect.stringMatching(RFC3339_UTC),
      updated_at: expect.stringMatching(RFC3339_UTC),
      version: 1,
      deleted_at: null,
    });
  });

  it('refuses a claim whose incident does not exist with 422, writing nothing', async () => {
    const source = await createSource(t.http);
    const before = await countRows(t.database, 'claims');

    const res = await t.http.post('/v1/claims').send(claimBody(UNKNOWN_ID, source.id));

    expectProblem(res, {
      type: '/problems/unprocessable',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The claim refers to records that do not exist.',
      errors: [{ path: 'body.incident_id', message: 'no live incident with this id' }],
    });
    expect(await countRows(t.database, 'claims')).toBe(before);
  });

  it('refuses a claim whose source does not exist with 422, leaving the incident as it was', async () => {
    const incident = await createIncident(t.http);
    const before = await countRows(t.database, 'claims');

    const res = await t.http
      .post('/v1/claims')
      .send(claimBody(incident.id, UNKNOWN_ID, { review_status: 'accepted', killed: 3 }));

    expectProblem(res, {
      type: '/problems/unprocessable',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The claim refers to records that do not exist.',
      errors: [{ path: 'body.source_id', message: 'no live source with this id' }],
    });
    expect(await countRows(t.database, 'claims')).toBe(before);
    expect(await incidentOf(incident.id)).toEqual(incident);
  });

  it('names both references when neither exists', async () => {
    const before = await countRows(t.database, 'claims');

    const res = await t.http.post('/v1/claims').send(claimBody(UNKNOWN_ID, OTHER_UNKNOWN_ID));

    expectProblem(res, {
      type: '/problems/unprocessable',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The claim refers to records that do not exist.',
      errors: [
        { path: 'body.incident_id', message: 'no live incident with this id' },
        { path: 'body.source_id', message: 'no live source with this id' },
      ],
    });
    expect(await countRows(t.database, 'claims')).toBe(before);
  });

  it('refuses deleted incidents and sources as if they did not exist', async () => {
    const { incident, source } = await scene();
    await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);
    await t.http.delete(`/v1/sources/${source.id}`).expect(204);
    const before = await countRows(t.database, 'claims');

    const res = await t.http.post('/v1/claims').send(claimBody(incident.id, source.id));

    expectProblem(res, {
      type: '/problems/unprocessable',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'The claim refers to records that do not exist.',
      errors: [
        { path: 'body.incident_id', message: 'no live incident with this id' },
        { path: 'body.source_id', message: 'no live source with this id' },
      ],
    });
    expect(await countRows(t.database, 'claims')).toBe(before);
  });

  it.each([
    ['a negative figure', { killed: -1 }, 'body.killed', 'Too small: expected number to be >=0'],
    ['a fractional figure', { injured: 1.5 }, 'body.injured', 'Invalid input: expected int, received number'],
    [
      'a figure above 2^31-1',
      { missing: 2_147_483_648 },
      'body.missing',
      'Too big: expected number to be <=2147483647',
    ],
    [
      'a figure given as a string',
      { killed: '5' },
      'body.killed',
      'Invalid input: expected number, received string',
    ],
    ['a credibility of 0', { credibility: 0 }, 'body.credibility', 'Too small: expected number to be >=1'],
    ['a credibility of 7', { credibility: 7 }, 'body.credibility', 'Too big: expected number to be <=6'],
    [
      'an unknown stance',
      { stance: 'neutral' },
      'body.stance',
      'Invalid option: expected one of "supports"|"contradicts"',
    ],
    [
      'an unknown review status',
      { review_status: 'approved' },
      'body.review_status',
      'Invalid option: expected one of "pending"|"accepted"|"rejected"',
    ],
    [
      'a short sha256',
      { content_sha256: 'abc123' },
      'body.content_sha256',
      'must be 64 lower-case hex digits',
    ],
    [
      'an upper-case sha256',
      { content_sha256: SHA256.toUpperCase() },
      'body.content_sha256',
      'must be 64 lower-case hex digits',
    ],
    [
      'a malformed language tag',
      { language: 'english!' },
      'body.language',
      'must be a BCP 47 language tag, e.g. ar or en-GB',
    ],
    [
      'a published_at without an offset',
      { published_at: '2025-03-07T12:00:00' },
      'body.published_at',
      'must be an RFC 3339 date-time, e.g. 2025-03-07T12:00:00Z',
    ],
    [
      'a published_at that is a date only',
      { published_at: '2025-03-07' },
      'body.published_at',
      'must be an RFC 3339 date-time, e.g. 2025-03-07T12:00:00Z',
    ],
    ['a non-http url', { url: 'file:///etc/passwd' }, 'body.url', 'must be an http(s) URL'],
    [
      'a NUL byte in the statement',
      { statement: 'a\u0000b' },
      'body.statement',
      'must not contain NUL characters',
    ],
    ['an incident_id that is not a UUID', { incident_id: 'abc' }, 'body.incident_id', 'must be a UUID'],
    ['a server-owned field', { version: 2 }, 'body.version', 'Unrecognized key: "version"'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_, overrides, path, message) => {
    const { incident, source } = await scene();
    const before = await countRows(t.database, 'claims');

    const res = await t.http.post('/v1/claims').send(claimBody(incident.id, source.id, overrides));

    expectProblem(res, validationProblem('body', [{ path, message }]));
    expect(await countRows(t.database, 'claims')).toBe(before);
  });
});

describe('PATCH and DELETE /v1/claims/{id}', () => {
  it('changes only the fields sent and increments the version', async () => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id, { killed: 40, statement: 'about 40' });

    const res = await t.http
      .patch(`/v1/claims/${claim.id}`)
      .send({
        review_status: 'accepted',
        review_note: 'Matches the video.',
        published_at: '2025-03-07T23:00:00-01:00',
      })
      .expect(200);

    expect(res.body).toEqual({
      ...claim,
      review_status: 'accepted',
      review_note: 'Matches the video.',
      published_at: '2025-03-08T00:00:00.000Z',
      version: 2,
      updated_at: expect.stringMatching(RFC3339_UTC),
    });
    expect((await t.http.get(`/v1/claims/${claim.id}`).expect(200)).body).toEqual(res.body);
  });

  it('clears an optional field with null', async () => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id, {
      killed: 40,
      published_at: '2025-03-07T12:00:00Z',
    });

    const res = await t.http
      .patch(`/v1/claims/${claim.id}`)
      .send({ killed: null, published_at: null })
      .expect(200);

    expect(res.body).toEqual({
      ...claim,
      killed: null,
      published_at: null,
      version: 2,
      updated_at: expect.any(String),
    });
  });

  it.each([
    ['incident_id', { incident_id: UNKNOWN_ID, review_note: 'moved' }],
    ['source_id', { source_id: UNKNOWN_ID, review_note: 'moved' }],
  ])('refuses to change %s, leaving the claim as it was', async (field, body) => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id);

    const res = await t.http.patch(`/v1/claims/${claim.id}`).send(body);

    expectProblem(
      res,
      validationProblem('body', [{ path: `body.${field}`, message: `Unrecognized key: "${field}"` }]),
    );
    expect((await t.http.get(`/v1/claims/${claim.id}`).expect(200)).body).toEqual(claim);
  });

  it('refuses an empty patch', async () => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id);

    expectProblem(
      await t.http.patch(`/v1/claims/${claim.id}`).send({}),
      validationProblem('body', [{ path: 'body', message: 'must change at least one field' }]),
    );
    expect((await t.http.get(`/v1/claims/${claim.id}`).expect(200)).body).toEqual(claim);
  });

  it('refuses an invalid figure in a patch, leaving the claim and its incident as they were', async () => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id, { killed: 5, review_status: 'accepted' });
    const incidentBefore = await incidentOf(incident.id);

    expectProblem(
      await t.http.patch(`/v1/claims/${claim.id}`).send({ killed: -5 }),
      validationProblem('body', [{ path: 'body.killed', message: 'Too small: expected number to be >=0' }]),
    );
    expect((await t.http.get(`/v1/claims/${claim.id}`).expect(200)).body).toEqual(claim);
    expect(await incidentOf(incident.id)).toEqual(incidentBefore);
  });

  it('deletes with 204; the claim then answers 404 to read, change and delete', async () => {
    const { incident, source } = await scene();
    const claim = await createClaim(t.http, incident.id, source.id);

    const res = await t.http.delete(`/v1/claims/${claim.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expectProblem(await t.http.get(`/v1/claims/${claim.id}`), notFoundProblem('claim', claim.id));
    expectProblem(
      await t.http.patch(`/v1/claims/${claim.id}`).send({ review_status: 'accepted' }),
      notFoundProblem('claim', claim.id),
    );
    expectProblem(await t.http.delete(`/v1/claims/${claim.id}`), notFoundProblem('claim', claim.id));
    const list = await t.http.get('/v1/claims').query({ incident_id: incident.id }).expect(200);
    expect(list.body).toEqual({ data: [], next_cursor: null });
  });

  it('answers 404 for an unknown id', async () => {
    expectProblem(await t.http.get(`/v1/claims/${UNKNOWN_ID}`), notFoundProblem('claim', UNKNOWN_ID));
    expectProblem(
      await t.http.patch(`/v1/claims/${UNKNOWN_ID}`).send({ review_status: 'accepted' }),
      notFoundProblem('claim', UNKNOWN_ID),
    );
    expectProblem(await t.http.delete(`/v1/claims/${UNKNOWN_ID}`), notFoundProblem('claim', UNKNOWN_ID));
  });
});

describe('claim lists', () => {
  /** Two incidents and two sources with claims in every combination of stance and review. */
  async function claimGrid() {
    const a = await createIncident(t.http, { title: 'Incident A' });
    const b = await createIncident(t.http, { title: 'Incident B' });
    const s1 = await createSource(t.http, { name: 'Source 1' });
    const s2 = await createSource(t.http, { name: 'Source 2' });
    const a1 = await createClaim(t.http, a.id, s1.id, { review_status: 'accepted' });
    const a2 = await createClaim(t.http, a.id, s2.id, { review_status: 'rejected', stance: 'contradicts' });
    const a3 = await createClaim(t.http, a.id, s1.id, { stance: 'contradicts' });
    const b1 = await createClaim(t.http, b.id, s1.id, { review_status: 'rejected' });
    const b2 = await createClaim(t.http, b.id, s2.id, { review_status: 'accepted' });
    return { a, b, s1, s2, a1, a2, a3, b1, b2 };
  }

  it('filters /v1/claims by incident, source, review status and stance', async () => {
    const { a, b, s1, s2, a1, a2, a3, b1, b2 } = await claimGrid();
    const list = async (query: Record<string, string>) =>
      (await t.http.get('/v1/claims').query(query).expect(200)).body;

    expect(await list({ incident_id: a.id })).toEqual({ data: [a1, a2, a3], next_cursor: null });
    expect(ids(await list({ source_id: s2.id }))).toEqual([a2.id, b2.id]);
    expect(ids(await list({ incident_id: b.id, source_id: s1.id }))).toEqual([b1.id]);
    expect(ids(await list({ incident_id: a.id, review_status: 'pending' }))).toEqual([a3.id]);
    expect(ids(await list({ source_id: s1.id, review_status: 'accepted,rejected' }))).toEqual([a1.id, b1.id]);
    expect(ids(await list({ incident_id: a.id, stance: 'contradicts' }))).toEqual([a2.id, a3.id]);
    expect(ids(await list({ source_id: s2.id, stance: 'supports', review_status: 'accepted' }))).toEqual([
      b2.id,
    ]);

    const repeated = await t.http
      .get(`/v1/claims?incident_id=${a.id}&review_status=accepted&review_status=pending`)
      .expect(200);
    expect(ids(repeated.body)).toEqual([a1.id, a3.id]);
  });

  it('filters /v1/incidents/{id}/claims the same way, within the incident', async () => {
    const { a, b, s1, s2, a1, a2, a3, b2 } = await claimGrid();
    const list = async (incidentId: string, query: Record<string, string> = {}) =>
      (await t.http.get(`/v1/incidents/${incidentId}/claims`).query(query).expect(200)).body;

    expect(await list(a.id)).toEqual({ data: [a1, a2, a3], next_cursor: null });
    expect(ids(await list(a.id, { source_id: s1.id }))).toEqual([a1.id, a3.id]);
    expect(ids(await list(a.id, { review_status: 'accepted,pending' }))).toEqual([a1.id, a3.id]);
    expect(ids(await list(a.id, { stance: 'contradicts' }))).toEqual([a2.id, a3.id]);
    expect(ids(await list(b.id, { source_id: s2.id }))).toEqual([b2.id]);
    expect(ids(await list(b.id, { stance: 'contradicts' }))).toEqual([]);
  });

  it('pages through an incident’s claims, keeping the filters in the Link header', async () => {
    const { incident, source } = await scene();
    const created: Claim[] = [];
    for (let i = 0; i < 5; i++)
      created.push(await createClaim(t.http, incident.id, source.id, { killed: i }));
    await createClaim(t.http, incident.id, source.id, { stance: 'contradicts' });

    for (const base of ['/v1/claims', `/v1/incidents/${incident.id}/claims`]) {
      const filters: Record<string, string> = base === '/v1/claims' ? { incident_id: incident.id } : {};
      const seen: string[] = [];
      let path: string | undefined =
        `${base}?${new URLSearchParams({ ...filters, stance: 'supports', limit: '2' })}`;
      const sizes: number[] = [];
      while (path) {
        const res: { headers: Record<string, string>; body: { data: Claim[]; next_cursor: string | null } } =
          await t.http.get(path).expect(200);
        sizes.push(res.body.data.length);
        seen.push(...ids(res.body));
        if (res.body.next_cursor === null) {
          expect(linkTargets(res.headers.link).next).toBeUndefined();
          path = undefined;
        } else {
          const next = new URL(linkTargets(res.headers.link).next!);
          expect(next.pathname).toBe(base);
          expect(Object.fromEntries(next.searchParams)).toEqual({
            ...filters,
            stance: 'supports',
            limit: '2',
            cursor: res.body.next_cursor,
          });
          path = `${next.pathname}${next.search}`;
        }
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(created.map((c) => c.id));
    }
  });

  it('answers 404 for the claims of an unknown or deleted incident', async () => {
    expectProblem(
      await t.http.get(`/v1/incidents/${UNKNOWN_ID}/claims`),
      notFoundProblem('incident', UNKNOWN_ID),
    );
    const incident = await createIncident(t.http);
    await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);
    expectProblem(
      await t.http.get(`/v1/incidents/${incident.id}/claims`),
      notFoundProblem('incident', incident.id),
    );
  });

  it.each([
    [
      '/v1/claims?review_status=approved',
      'query.review_status.0',
      'Invalid option: expected one of "pending"|"accepted"|"rejected"',
    ],
    ['/v1/claims?stance=neutral', 'query.stance', 'Invalid option: expected one of "supports"|"contradicts"'],
    ['/v1/claims?incident_id=abc', 'query.incident_id', 'must be a UUID'],
    ['/v1/claims?source_id=abc', 'query.source_id', 'must be a UUID'],
    ['/v1/claims?limit=0', 'query.limit', 'Too small: expected number to be >=1'],
    ['/v1/claims?limit=1001', 'query.limit', 'Too big: expected number to be <=1000'],
    ['/v1/claims?limit=abc', 'query.limit', 'Invalid input: expected number, received NaN'],
  ])('refuses %s with 400', async (url, path, message) => {
    expectProblem(await t.http.get(url), validationProblem('query', [{ path, message }]));
  });

  it('refuses a garbage cursor with 400', async () => {
    expectProblem(await t.http.get('/v1/claims?cursor=garbage'), {
      type: '/problems/invalid-cursor',
      title: 'Bad Request',
      status: 400,
      detail: 'The cursor is not one this API issued.',
      errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
    });
  });
});

describe('derived truth of an incident', () => {
  it('estimates casualties from accepted supporting claims, best from the highest-ranked claim', async () => {
    const incident = await createIncident(t.http);
    const gradeB1 = await createSource(t.http, { name: 'Monitor B1', reliability: 'B' });
    const gradeB2 = await createSource(t.http, { name: 'Monitor B2', reliability: 'B' });
    const gradeD = await createSource(t.http, { name: 'Broadcaster D', reliability: 'D' });
    const accepted = { review_status: 'accepted' };

    const fromD = await createClaim(t.http, incident.id, gradeD.id, { ...accepted, killed: 80, injured: 30 });
    let current = await incidentOf(incident.id);
    expect(current.casualties).toEqual({
      ...noCasualties,
      killed: estimate(fromD, fromD, fromD, [80, 80, 80], 1),
      injured: estimate(fromD, fromD, fromD, [30, 30, 30], 1),
    });
    expect(current.version).toBe(incident.version + 1);

    // A more reliable source outranks a higher credibility from a less reliable one.
    const fromB1 = await createClaim(t.http, incident.id, gradeB1.id, {
      ...accepted,
      killed: 120,
      credibility: 3,
      published_at: '2025-03-08T09:00:00Z',
    });
    expect((await incidentOf(incident.id)).casualties.killed).toEqual(
      estimate(fromD, fromB1, fromB1, [80, 120, 120], 2),
    );

    // Equal reliability: the more credible claim wins.
    const credible = await createClaim(t.http, incident.id, gradeB2.id, {
      ...accepted,
      killed: 100,
      credibility: 2,
      published_at: '2025-03-08T09:00:00Z',
    });
    expect((await incidentOf(incident.id)).casualties.killed).toEqual(
      estimate(fromD, credible, fromB1, [80, 100, 120], 3),
    );

    // Equal reliability and credibility: the most recently published wins.
    const recent = await createClaim(t.http, incident.id, gradeB1.id, {
      ...accepted,
      killed: 110,
      credibility: 2,
      published_at: '2025-03-09T09:00:00Z',
    });
    // An unknown publication date ranks below any known one.
    await createClaim(t.http, incident.id, gradeB2.id, { ...accepted, killed: 90, credibility: 2 });
    current = await incidentOf(incident.id);
    expect(current.casualties).toEqual({
      ...noCasualties,
      killed: estimate(fromD, recent, fromB1, [80, 110, 120], 5),
      injured: estimate(fromD, fromD, fromD, [30, 30, 30], 1),
    });
    expect(current.status).toBe('corroborated');

    // Pending, rejected and contradicting claims do not count, and leave the incident untouched.
    const pending = await createClaim(t.http, incident.id, gradeD.id, { killed: 500 });
    await createClaim(t.http, incident.id, gradeB1.id, {
      review_status: 'rejected',
      killed: 1,
      credibility: 1,
    });
    expect(await incidentOf(incident.id)).toEqual(current);

    // Accepting the pending claim counts it.
    await accept(pending.id);
    const afterAccept = await incidentOf(incident.id);
    expect(afterAccept.casualties.killed).toEqual(estimate(fromD, recent, pending, [80, 110, 500], 6));
    expect(afterAccept.version).toBe(current.version + 1);

    // Deleting the best claim hands best to the next-ranked one.
    await t.http.delete(`/v1/claims/${recent.id}`).expect(204);
    const afterDelete = await incidentOf(incident.id);
    expect(afterDelete.casualties.killed).toEqual(estimate(fromD, credible, pending, [80, 100, 500], 5));
    expect(afterDelete.version).toBe(afterAccept.version + 1);

    // Rejecting a counted claim removes it again.
    await t.http.patch(`/v1/claims/${pending.id}`).send({ review_status: 'rejected' }).expect(200);
    expect((await incidentOf(incident.id)).casualties.killed).toEqual(
      estimate(fromD, credible, fromB1, [80, 100, 120], 4),
    );
  });

  it('does not count an accepted contradicting claim towards casualties', async () => {
    const incident = await createIncident(t.http);
    const monitor = await createSource(t.http, { reliability: 'A' });
    const ministry = await createSource(t.http, { name: 'Ministry', reliability: 'A' });
    const supports = await createClaim(t.http, incident.id, monitor.id, {
      review_status: 'accepted',
      killed: 40,
    });
    await createClaim(t.http, incident.id, ministry.id, {
      review_status: 'accepted',
      stance: 'contradicts',
      killed: 2,
      credibility: 1,
    });

    const current = await incidentOf(incident.id);
    expect(current.casualties).toEqual({
      ...noCasualties,
      killed: estimate(supports, supports, supports, [40, 40, 40], 1),
    });
    expect(current.status).toBe('disputed');
  });

  it('sets the status from accepted claims and independence groups', async () => {
    const incident = await createIncident(t.http);
    const ministry = await createSource(t.http, { name: 'Ministry', independence_group: 'state' });
    const broadcaster = await createSource(t.http, { name: 'State TV', independence_group: 'state' });
    const monitor = await createSource(t.http, { name: 'Monitor' });
    const status = async () => (await incidentOf(incident.id)).status;

    expect(incident.status).toBe('unverified');
    expect(incident.casualties).toEqual(noCasualties);

    await createClaim(t.http, incident.id, ministry.id, { review_status: 'accepted' });
    expect(await status()).toBe('unverified');

    // The same group twice is not corroboration.
    await createClaim(t.http, incident.id, broadcaster.id, { review_status: 'accepted' });
    expect(await status()).toBe('unverified');

    // A pending claim from another group does not count until accepted.
    const fromMonitor = await createClaim(t.http, incident.id, monitor.id);
    expect(await status()).toBe('unverified');
    await accept(fromMonitor.id);
    expect(await status()).toBe('corroborated');

    // Pending and rejected contradictions do not dispute; an accepted one does.
    const contradiction = await createClaim(t.http, incident.id, monitor.id, { stance: 'contradicts' });
    await createClaim(t.http, incident.id, monitor.id, { stance: 'contradicts', review_status: 'rejected' });
    expect(await status()).toBe('corroborated');
    await accept(contradiction.id);
    expect(await status()).toBe('disputed');

    await t.http.delete(`/v1/claims/${contradiction.id}`).expect(204);
    expect(await status()).toBe('corroborated');
    await t.http.delete(`/v1/claims/${fromMonitor.id}`).expect(204);
    expect(await status()).toBe('unverified');
  });

  it('treats two sources without a group as independent', async () => {
    const incident = await createIncident(t.http);
    const first = await createSource(t.http, { name: 'Witness one', kind: 'witness' });
    const second = await createSource(t.http, { name: 'Witness two', kind: 'witness' });

    await createClaim(t.http, incident.id, first.id, { review_status: 'accepted' });
    await createClaim(t.http, incident.id, first.id, { review_status: 'accepted' });
    expect((await incidentOf(incident.id)).status).toBe('unverified');

    await createClaim(t.http, incident.id, second.id, { review_status: 'accepted' });
    expect((await incidentOf(incident.id)).status).toBe('corroborated');
  });

  it('recomputes an incident when a cited source changes its group or reliability', async () => {
    const incident = await createIncident(t.http);
    const first = await createSource(t.http, { name: 'First', reliability: 'C' });
    const second = await createSource(t.http, { name: 'Second', reliability: 'D' });
    const fromFirst = await createClaim(t.http, incident.id, first.id, {
      review_status: 'accepted',
      killed: 10,
    });
    const fromSecond = await createClaim(t.http, incident.id, second.id, {
      review_status: 'accepted',
      killed: 20,
    });
    const start = await incidentOf(incident.id);
    expect(start.status).toBe('corroborated');
    expect(start.casualties.killed).toEqual(estimate(fromFirst, fromFirst, fromSecond, [10, 10, 20], 2));

    // A change that moves nothing derived leaves the incident alone.
    await t.http.patch(`/v1/sources/${second.id}`).send({ notes: 'Re-checked.' }).expect(200);
    await t.http.patch(`/v1/sources/${first.id}`).send({ independence_group: 'shared' }).expect(200);
    expect(await incidentOf(incident.id)).toEqual(start);

    await t.http.patch(`/v1/sources/${second.id}`).send({ independence_group: 'shared' }).expect(200);
    const sameGroup = await incidentOf(incident.id);
    expect(sameGroup.status).toBe('unverified');
    expect(sameGroup.version).toBe(start.version + 1);

    await t.http.patch(`/v1/sources/${second.id}`).send({ reliability: 'A' }).expect(200);
    const reranked = await incidentOf(incident.id);
    expect(reranked.casualties.killed).toEqual(estimate(fromFirst, fromSecond, fromSecond, [10, 20, 20], 2));
    expect(reranked.status).toBe('unverified');
    expect(reranked.version).toBe(sameGroup.version + 1);

    await t.http.patch(`/v1/sources/${first.id}`).send({ independence_group: null }).expect(200);
    const regrouped = await incidentOf(incident.id);
    expect(regrouped.status).toBe('corroborated');
    expect(regrouped.version).toBe(reranked.version + 1);
  });

  it('leaves an incident untouched when a refused claim would have changed it', async () => {
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const claim = await createClaim(t.http, incident.id, source.id, { review_status: 'accepted', killed: 7 });
    const before = await incidentOf(incident.id);

    await t.http
      .post('/v1/claims')
      .send(claimBody(incident.id, source.id, { killed: 9, review_status: 'accepted', credibility: 9 }))
      .expect(400);
    await t.http.patch(`/v1/claims/${claim.id}`).send({ killed: 2_147_483_648 }).expect(400);

    expect(await incidentOf(incident.id)).toEqual(before);
  });
});
