import { createTestApp, type TestApp } from '../helpers/app';
import {
  countRows,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  notFoundProblem,
  sourceBody,
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
const KIND_MESSAGE =
  'Invalid option: expected one of "monitor"|"ngo"|"news_media"|"state_media"|"government"|"intergovernmental"|"armed_group"|"witness"|"social_media"|"other"';

/** Ids of every source a listing returns when followed to its last page. */
async function listAllIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  let path: string | null = `/v1/sources?${query}`;
  while (path) {
    const res: { body: { data: { id: string }[]; next_cursor: string | null } } = await t.http
      .get(path)
      .expect(200);
    ids.push(...res.body.data.map((s) => s.id));
    path = res.body.next_cursor ? `/v1/sources?${query}&cursor=${res.body.next_cursor}` : null;
  }
  return ids;
}

describe('POST /v1/sources', () => {
  it('creates a source with the documented defaults and points Location at it', async () => {
    const res = await t.http
      .post('/v1/sources')
      .send({ name: 'Syrian Network for Human Rights', kind: 'monitor' });

    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      name: 'Syrian Network for Human Rights',
      acronym: null,
      kind: 'monitor',
      url: null,
      country: null,
      independence_group: null,
      reliability: 'F',
      party_to_conflict: false,
      protected: false,
      notes: null,
      created_at: expect.stringMatching(RFC3339_UTC),
      updated_at: expect.stringMatching(RFC3339_UTC),
      version: 1,
      deleted_at: null,
    });
    expect(res.body.updated_at).toBe(res.body.created_at);
    expect(Math.abs(Date.parse(res.body.created_at) - Date.now())).toBeLessThan(60_000);
    expect(res.headers.location).toBe(`/v1/sources/${res.body.id}`);
  });

  it('stores every writable field as given', async () => {
    const body = {
      name: 'Ministry of Interior',
      acronym: 'MOI',
      kind: 'government',
      url: 'https://moi.example.gov/statements',
      country: 'SYR',
      independence_group: 'syrian-state',
      reliability: 'D',
      party_to_conflict: true,
      protected: true,
      notes: 'Speaks for a party to the conflict.',
    };
    const res = await t.http.post('/v1/sources').send(body).expect(201);

    expect(res.body).toEqual({
      ...body,
      id: expect.stringMatching(UUID),
      created_at: expect.stringMatching(RFC3339_UTC),
      updated_at: expect.stringMatching(RFC3339_UTC),
      version: 1,
      deleted_at: null,
    });
    const read = await t.http.get(res.headers.location!).expect(200);
    expect(read.body).toEqual(res.body);
  });

  const tooLong = 'x'.repeat(501);
  it.each([
    ['an unknown kind', { kind: 'blog' }, 'body.kind', KIND_MESSAGE],
    [
      'an unknown reliability grade',
      { reliability: 'G' },
      'body.reliability',
      'Invalid option: expected one of "A"|"B"|"C"|"D"|"E"|"F"',
    ],
    [
      'a null reliability',
      { reliability: null },
      'body.reliability',
      'Invalid option: expected one of "A"|"B"|"C"|"D"|"E"|"F"',
    ],
    [
      'a lower-case country',
      { country: 'syr' },
      'body.country',
      'must be an ISO 3166-1 alpha-3 code in capitals, e.g. SYR',
    ],
    [
      'a two-letter country',
      { country: 'SY' },
      'body.country',
      'must be an ISO 3166-1 alpha-3 code in capitals, e.g. SYR',
    ],
    ['an ftp url', { url: 'ftp://files.example.org/report' }, 'body.url', 'must be an http(s) URL'],
    ['a javascript url', { url: 'javascript:alert(1)' }, 'body.url', 'must be an http(s) URL'],
    ['a blank name', { name: '   ' }, 'body.name', 'must not be blank'],
    ['a NUL byte in the name', { name: 'SN\u0000HR' }, 'body.name', 'must not contain NUL characters'],
    ['a NUL byte in the notes', { notes: 'a\u0000b' }, 'body.notes', 'must not contain NUL characters'],
    ['a lone surrogate in the name', { name: 'SN\uD800HR' }, 'body.name', 'must be well-formed Unicode'],
    [
      'a name over 500 characters',
      { name: tooLong },
      'body.name',
      'Too big: expected string to have <=500 characters',
    ],
    [
      'a non-boolean flag',
      { protected: 'yes' },
      'body.protected',
      'Invalid input: expected boolean, received string',
    ],
    // Strict bodies: fields the server owns are refused rather than silently dropped.
    ['an id', { id: UNKNOWN_ID }, 'body.id', 'Unrecognized key: "id"'],
    ['a version', { version: 7 }, 'body.version', 'Unrecognized key: "version"'],
    ['an unknown field', { reliabilty: 'A' }, 'body.reliabilty', 'Unrecognized key: "reliabilty"'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_, overrides, path, message) => {
    const before = await countRows(t.database, 'sources');

    const res = await t.http.post('/v1/sources').send(sourceBody(overrides));

    expectProblem(res, validationProblem('body', [{ path, message }]));
    expect(await countRows(t.database, 'sources')).toBe(before);
  });

  it('refuses a body without the required fields, naming each', async () => {
    const before = await countRows(t.database, 'sources');

    const res = await t.http.post('/v1/sources').send({});

    expectProblem(
      res,
      validationProblem('body', [
        { path: 'body.name', message: 'Invalid input: expected string, received undefined' },
        { path: 'body.kind', message: KIND_MESSAGE },
      ]),
    );
    expect(await countRows(t.database, 'sources')).toBe(before);
  });
});

describe('GET /v1/sources/{id}', () => {
  it('returns the source', async () => {
    const created = await createSource(t.http, { name: 'Airwars', kind: 'ngo', reliability: 'B' });
    const res = await t.http.get(`/v1/sources/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);
  });

  it('answers 404 for an unknown id', async () => {
    expectProblem(await t.http.get(`/v1/sources/${UNKNOWN_ID}`), notFoundProblem('source', UNKNOWN_ID));
  });

  it('answers 400 for an id that is not a UUID', async () => {
    expectProblem(
      await t.http.get('/v1/sources/not-a-uuid'),
      validationProblem('path', [{ path: 'path.id', message: 'must be a UUID' }]),
    );
  });
});

describe('PATCH /v1/sources/{id}', () => {
  it('changes only the fields sent and increments the version', async () => {
    const created = await createSource(t.http, {
      name: 'Syrian Observatory',
      acronym: 'SOHR',
      country: 'SYR',
      notes: 'Based abroad.',
    });

    const res = await t.http.patch(`/v1/sources/${created.id}`).send({ reliability: 'B' });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...created,
      reliability: 'B',
      version: 2,
      updated_at: expect.stringMatching(RFC3339_UTC),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at));
    expect((await t.http.get(`/v1/sources/${created.id}`).expect(200)).body).toEqual(res.body);
  });

  it('clears an optional field with null', async () => {
    const created = await createSource(t.http, {
      name: 'Levant Monitor',
      acronym: 'LM',
      url: 'https://lm.example.org',
    });

    const res = await t.http.patch(`/v1/sources/${created.id}`).send({ acronym: null }).expect(200);

    expect(res.body).toEqual({ ...created, acronym: null, version: 2, updated_at: expect.any(String) });
  });

  it('refuses a null for a required field', async () => {
    const created = await createSource(t.http);

    const res = await t.http.patch(`/v1/sources/${created.id}`).send({ name: null });

    expectProblem(
      res,
      validationProblem('body', [
        { path: 'body.name', message: 'Invalid input: expected string, received null' },
      ]),
    );
    expect((await t.http.get(`/v1/sources/${created.id}`).expect(200)).body).toEqual(created);
  });

  const noChange = { path: 'body', message: 'must change at least one field' };
  it.each([
    ['an empty body', {}, [noChange]],
    // An unknown key alone also leaves nothing to change; both are reported.
    [
      'a version',
      { version: 9 },
      [{ path: 'body.version', message: 'Unrecognized key: "version"' }, noChange],
    ],
    ['an id', { id: UNKNOWN_ID }, [{ path: 'body.id', message: 'Unrecognized key: "id"' }, noChange]],
    ['a blank name', { name: '' }, [{ path: 'body.name', message: 'must not be blank' }]],
    [
      'a lower-case country',
      { country: 'sy' },
      [{ path: 'body.country', message: 'must be an ISO 3166-1 alpha-3 code in capitals, e.g. SYR' }],
    ],
  ])('refuses %s with 400, leaving the source as it was', async (_, body, errors) => {
    const created = await createSource(t.http);

    const res = await t.http.patch(`/v1/sources/${created.id}`).send(body);

    expectProblem(res, validationProblem('body', errors));
    expect((await t.http.get(`/v1/sources/${created.id}`).expect(200)).body).toEqual(created);
  });

  it('refuses a server-owned field even beside a valid change', async () => {
    const created = await createSource(t.http);

    const res = await t.http.patch(`/v1/sources/${created.id}`).send({ notes: 'x', version: 1 });

    expectProblem(
      res,
      validationProblem('body', [{ path: 'body.version', message: 'Unrecognized key: "version"' }]),
    );
    expect((await t.http.get(`/v1/sources/${created.id}`).expect(200)).body).toEqual(created);
  });

  it('answers 404 for an unknown id, writing nothing', async () => {
    const before = await countRows(t.database, 'sources');
    expectProblem(
      await t.http.patch(`/v1/sources/${UNKNOWN_ID}`).send({ reliability: 'A' }),
      notFoundProblem('source', UNKNOWN_ID),
    );
    expect(await countRows(t.database, 'sources')).toBe(before);
  });
});

describe('DELETE /v1/sources/{id}', () => {
  it('soft-deletes: 204, then 404 on read, absent from the list, and 404 on change or second delete', async () => {
    const marker = 'Deletable Qzv Source';
    const source = await createSource(t.http, { name: marker });

    const res = await t.http.delete(`/v1/sources/${source.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');

    expectProblem(await t.http.get(`/v1/sources/${source.id}`), notFoundProblem('source', source.id));
    const list = await t.http.get('/v1/sources').query({ q: 'Qzv' }).expect(200);
    expect(list.body).toEqual({ data: [], next_cursor: null });
    expectProblem(
      await t.http.patch(`/v1/sources/${source.id}`).send({ reliability: 'A' }),
      notFoundProblem('source', source.id),
    );
    expectProblem(await t.http.delete(`/v1/sources/${source.id}`), notFoundProblem('source', source.id));
  });

  it('answers 404 for an unknown id', async () => {
    expectProblem(await t.http.delete(`/v1/sources/${UNKNOWN_ID}`), notFoundProblem('source', UNKNOWN_ID));
  });

  it('refuses with 409 while a live claim cites the source, naming the claim, and deletes nothing', async () => {
    const source = await createSource(t.http);
    const incident = await createIncident(t.http);
    const claim = await createClaim(t.http, incident.id, source.id);

    const res = await t.http.delete(`/v1/sources/${source.id}`);

    expectProblem(res, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The source is cited by live claims (${claim.id}); delete them first.`,
      constraint: 'source_has_live_claims',
    });
    expect((await t.http.get(`/v1/sources/${source.id}`).expect(200)).body).toEqual(source);

    // Once the claim is gone the source can go.
    await t.http.delete(`/v1/claims/${claim.id}`).expect(204);
    await t.http.delete(`/v1/sources/${source.id}`).expect(204);
  });
});

describe('GET /v1/sources', () => {
  it('filters by one kind, several comma-separated kinds, or a repeated kind', async () => {
    const tag = 'Kindfilter Wqx';
    const witness = await createSource(t.http, { name: `${tag} witness`, kind: 'witness' });
    const armed = await createSource(t.http, { name: `${tag} armed`, kind: 'armed_group' });
    await createSource(t.http, { name: `${tag} monitor`, kind: 'monitor' });

    const one = await t.http.get('/v1/sources').query({ q: tag, kind: 'witness' }).expect(200);
    expect(one.body).toEqual({ data: [witness], next_cursor: null });

    const several = await t.http
      .get(`/v1/sources?q=${encodeURIComponent(tag)}&kind=witness,armed_group`)
      .expect(200);
    expect(several.body).toEqual({ data: [witness, armed], next_cursor: null });

    const repeated = await t.http
      .get(`/v1/sources?q=${encodeURIComponent(tag)}&kind=armed_group&kind=witness`)
      .expect(200);
    expect(repeated.body).toEqual({ data: [witness, armed], next_cursor: null });

    // Without q the kind filter alone still selects by kind.
    const allWitnesses = await t.http.get('/v1/sources?kind=witness&limit=1000').expect(200);
    expect(allWitnesses.body.data.map((s: { kind: string }) => s.kind)).toEqual(
      allWitnesses.body.data.map(() => 'witness'),
    );
    expect(allWitnesses.body.data.map((s: { id: string }) => s.id)).toContain(witness.id);
  });

  it('refuses an unknown kind, naming its position in the list', async () => {
    expectProblem(
      await t.http.get('/v1/sources?kind=monitor,blog'),
      validationProblem('query', [{ path: 'query.kind.1', message: KIND_MESSAGE }]),
    );
  });

  it('matches q case-insensitively on name or acronym', async () => {
    const byName = await createSource(t.http, { name: 'Observatoire Zephyrine', acronym: null });
    const byAcronym = await createSource(t.http, { name: 'Unrelated Name', acronym: 'ZEPHYRQ' });
    await createSource(t.http, { name: 'Someone Else' });

    const name = await t.http.get('/v1/sources').query({ q: 'OBSERVATOIRE zephyr' }).expect(200);
    expect(name.body).toEqual({ data: [byName], next_cursor: null });

    const acronym = await t.http.get('/v1/sources').query({ q: 'zephyrq' }).expect(200);
    expect(acronym.body).toEqual({ data: [byAcronym], next_cursor: null });

    const both = await t.http.get('/v1/sources').query({ q: 'zephyr' }).expect(200);
    expect(both.body).toEqual({ data: [byName, byAcronym], next_cursor: null });
  });

  it('treats % and _ in q as literal characters, not wildcards', async () => {
    const percent = await createSource(t.http, { name: 'Rated 57% Kwv' });
    await createSource(t.http, { name: 'Rated 57 Kwv' });
    const underscore = await createSource(t.http, { name: 'Tag jq_vk' });
    await createSource(t.http, { name: 'Tag jqxvk' });
    const backslash = await createSource(t.http, { name: 'Slash jq\\vk' });

    expect((await t.http.get('/v1/sources').query({ q: '57%' }).expect(200)).body).toEqual({
      data: [percent],
      next_cursor: null,
    });
    expect((await t.http.get('/v1/sources').query({ q: 'jq_vk' }).expect(200)).body).toEqual({
      data: [underscore],
      next_cursor: null,
    });
    expect((await t.http.get('/v1/sources').query({ q: 'jq\\vk' }).expect(200)).body).toEqual({
      data: [backslash],
      next_cursor: null,
    });
  });

  it('pages through every record exactly once, with a Link header that keeps the other parameters', async () => {
    const tag = 'Pager Yvq';
    const created = [];
    for (let i = 0; i < 7; i++)
      created.push(await createSource(t.http, { name: `${tag} ${i}`, kind: 'ngo' }));

    const seen: string[] = [];
    let path: string | undefined = `/v1/sources?q=${encodeURIComponent(tag)}&kind=ngo&limit=3`;
    const sizes: number[] = [];
    while (path) {
      const res = await t.http.get(path).expect(200);
      sizes.push(res.body.data.length);
      seen.push(...res.body.data.map((s: { id: string }) => s.id));
      if (res.body.next_cursor === null) {
        expect(linkTargets(res.headers.link).next).toBeUndefined();
        path = undefined;
      } else {
        const target: string | undefined = linkTargets(res.headers.link).next;
        expect(target).toBeDefined();
        const next: URL = new URL(target!);
        expect(next.pathname).toBe('/v1/sources');
        expect(Object.fromEntries(next.searchParams)).toEqual({
          q: tag,
          kind: 'ngo',
          limit: '3',
          cursor: res.body.next_cursor,
        });
        path = `${next.pathname}${next.search}`;
      }
    }

    expect(sizes).toEqual([3, 3, 1]);
    expect(seen).toEqual(created.map((s) => s.id));
  });

  it('ends with next_cursor null when the last page is exactly full', async () => {
    const tag = 'Fullpage Jzk';
    const created = [];
    for (let i = 0; i < 4; i++) created.push(await createSource(t.http, { name: `${tag} ${i}` }));

    const first = await t.http.get('/v1/sources').query({ q: tag, limit: 2 }).expect(200);
    expect(first.body.data).toEqual(created.slice(0, 2));
    const second = await t.http
      .get('/v1/sources')
      .query({ q: tag, limit: 2, cursor: first.body.next_cursor })
      .expect(200);
    expect(second.body).toEqual({ data: created.slice(2), next_cursor: null });
    expect(linkTargets(second.headers.link).next).toBeUndefined();
  });

  it('keeps paging stable when a record on an earlier page is deleted', async () => {
    const tag = 'Stable Pqh';
    const created = [];
    for (let i = 0; i < 4; i++) created.push(await createSource(t.http, { name: `${tag} ${i}` }));

    const first = await t.http.get('/v1/sources').query({ q: tag, limit: 2 }).expect(200);
    await t.http.delete(`/v1/sources/${created[0].id}`).expect(204);
    const second = await t.http
      .get('/v1/sources')
      .query({ q: tag, limit: 2, cursor: first.body.next_cursor })
      .expect(200);

    expect(second.body.data).toEqual(created.slice(2));
    expect(await listAllIds(`q=${encodeURIComponent(tag)}&limit=1`)).toEqual(
      created.slice(1).map((s) => s.id),
    );
  });

  it('uses a page size of 50 by default', async () => {
    const tag = 'Default Limit Hkw';
    for (let i = 0; i < 51; i++) await createSource(t.http, { name: `${tag} ${i}` });

    const res = await t.http.get('/v1/sources').query({ q: tag }).expect(200);
    expect(res.body.data).toHaveLength(50);
    expect(typeof res.body.next_cursor).toBe('string');
  });

  it.each([
    ['0', 'Too small: expected number to be >=1'],
    ['1001', 'Too big: expected number to be <=1000'],
    ['abc', 'Invalid input: expected number, received NaN'],
    ['2.5', 'Invalid input: expected int, received number'],
  ])('refuses limit=%s with 400', async (limit, message) => {
    expectProblem(
      await t.http.get(`/v1/sources?limit=${limit}`),
      validationProblem('query', [{ path: 'query.limit', message }]),
    );
  });

  const invalidCursor = {
    type: '/problems/invalid-cursor',
    title: 'Bad Request',
    status: 400,
    detail: 'The cursor is not one this API issued.',
    errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
  };
  const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');

  it.each([
    ['garbage', 'abc'],
    ['base64 of non-JSON', Buffer.from('hello world').toString('base64url')],
    ['a forged key of the wrong type', encode({ s: 'created_at', a: ['not a time', 'not a uuid'] })],
    ['a forged key of the wrong length', encode({ s: 'created_at', a: ['2025-03-07T00:00:00.000Z'] })],
    [
      'a forged key that is not a uuid',
      encode({ s: 'created_at', a: ['2025-03-07T00:00:00.000Z', "1' OR '1'='1"] }),
    ],
    ['an empty key', encode({ s: 'created_at', a: [] })],
  ])('refuses a %s cursor with 400', async (_, cursor) => {
    expectProblem(await t.http.get('/v1/sources').query({ cursor }), invalidCursor);
  });

  it('refuses a cursor issued for another sort order', async () => {
    const cursor = encode({ s: 'occurred_from', a: ['2025-03-07', UNKNOWN_ID] });
    expectProblem(await t.http.get('/v1/sources').query({ cursor }), {
      ...invalidCursor,
      detail:
        'The cursor was issued for another order of this list: keep the sort (and q) it was issued with while paging.',
      errors: [
        { path: 'query.cursor', message: 'issued for another sort order; keep the same sort while paging' },
      ],
    });
  });

  it('refuses a cursor with characters no issued cursor has', async () => {
    expectProblem(
      await t.http.get('/v1/sources').query({ cursor: 'a+b/c=' }),
      validationProblem('query', [{ path: 'query.cursor', message: 'must be a cursor returned by the API' }]),
    );
  });

  it('accepts a well-formed cursor past the last record as an empty last page', async () => {
    const cursor = encode({ s: 'created_at', a: ['9999-12-31T00:00:00.000Z', UNKNOWN_ID] });
    const res = await t.http.get('/v1/sources').query({ cursor }).expect(200);
    expect(res.body).toEqual({ data: [], next_cursor: null });
  });
});
