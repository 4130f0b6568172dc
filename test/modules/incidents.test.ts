import type { Response } from 'supertest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import {
  countRows,
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  incidentBody,
  notFoundProblem,
  validationProblem,
  linkTargets,
} from '../helpers/factories';
import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Incident = Record<string, unknown> & { id: string; ref: string; version: number };

const NO_CASUALTIES = {
  method: 'ranked-source/1',
  killed: null,
  killed_civilians: null,
  killed_combatants: null,
  injured: null,
  detained: null,
  missing: null,
};

const SERVER_OWNED: Record<string, unknown> = {
  id: '7d1c6f3e-2a4b-4c5d-8e9f-0a1b2c3d4e5f',
  ref: 'SYR-2025-999999',
  status: 'verified',
  casualties: NO_CASUALTIES,
  version: 7,
  created_at: '2025-03-07T00:00:00.000Z',
  updated_at: '2025-03-07T00:00:00.000Z',
  deleted_at: null,
  duplicate_of: null,
};

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** Live incidents, as a client listing them sees them. */
async function allIncidents(): Promise<Incident[]> {
  const res = await t.http.get('/v1/incidents?limit=1000&sort=created_at').expect(200);
  expect(res.body.next_cursor).toBeNull();
  return res.body.data;
}

/** Everything stored about incidents, tombstones and the change journal included: the "nothing was written" witness. */
async function stored() {
  const res = await t.http.get('/v1/incidents?limit=1000&sort=created_at&include_deleted=true').expect(200);
  const [journal] = await queryRows<{ n: number }>(
    t.database.db,
    sql`SELECT count(*)::int AS n FROM changes`,
  );
  return { incidents: res.body.data, rows: await countRows(t.database, 'incidents'), changes: journal!.n };
}

async function getIncident(id: string): Promise<Incident> {
  return (await t.http.get(`/v1/incidents/${id}`).expect(200)).body;
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

describe('POST /v1/incidents', () => {
  // First in the file: the ref counters of this database start here.
  test('numbers refs per country-year prefix, XXX when no country', async () => {
    const first = await createIncident(t.http, { country: 'SYR', occurred_from: '2025-03-06' });
    const second = await createIncident(t.http, { country: 'SYR', occurred_from: '2025-12-31' });
    const otherYear = await createIncident(t.http, { country: 'SYR', occurred_from: '2024-01-01' });
    const otherCountry = await createIncident(t.http, { country: 'LBY', occurred_from: '2025-03-06' });
    const stateless = await createIncident(t.http, { occurred_from: '2019-07-01' });
    const third = await createIncident(t.http, { country: 'SYR', occurred_from: '2025-01-01' });
    expect([first, second, otherYear, otherCountry, stateless, third].map((i) => i.ref)).toEqual([
      'SYR-2025-000001',
      'SYR-2025-000002',
      'SYR-2024-000001',
      'LBY-2025-000001',
      'XXX-2019-000001',
      'SYR-2025-000003',
    ]);
  });

  test('201 with Location and the full record; lists round-trip, actors in the order given', async () => {
    const body = {
      title: 'إعدامات ميدانية في المختارية',
      summary: 'About 40 civilians executed together; videos show the bodies.',
      category: 'violence_against_civilians',
      subcategory: 'mass_killing',
      occurred_from: '2025-03-07',
      date_precision: 'day',
      country: 'SYR',
      admin1: 'Latakia',
      admin2: 'Jableh',
      admin3: 'Ain al-Sharqiyah',
      place: 'al-Mukhtariya',
      latitude: 35.4,
      longitude: 35.95,
      geo_precision: 'near',
      actors: [
        { name: 'Unidentified gunmen', role: 'perpetrator' },
        { name: 'Civilians', role: 'target' },
        { name: 'Armed group from Idlib', role: 'perpetrator' },
      ],
      tags: ['coastal-violence-2025', 'mass grave'],
      external_ids: [
        { system: 'acled', id: 'SYR12345' },
        { system: 'ucdp_ged', id: '556677' },
      ],
    };
    const res = await t.http.post('/v1/incidents').send(body).expect(201);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers.location).toBe(`/v1/incidents/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual({
      ...body,
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      ref: 'SYR-2025-000004',
      occurred_to: '2025-03-07',
      parent_id: null,
      duplicate_of: null,
      status: 'unverified',
      verification: null,
      casualties: NO_CASUALTIES,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      updated_at: res.body.created_at,
      version: 1,
      deleted_at: null,
    });
    expect(await getIncident(res.body.id)).toEqual(res.body);
  });

  test('a minimal body gets the defaults: one-day range, precision day, empty lists, nulls', async () => {
    const res = await t.http
      .post('/v1/incidents')
      .send({ title: 'Shelling', category: 'explosion_remote_violence', occurred_from: '2021-02-03' })
      .expect(201);
    expect(res.body).toMatchObject({
      ref: 'XXX-2021-000001',
      occurred_from: '2021-02-03',
      occurred_to: '2021-02-03',
      date_precision: 'day',
      summary: null,
      subcategory: null,
      country: null,
      admin1: null,
      place: null,
      latitude: null,
      longitude: null,
      geo_precision: null,
      actors: [],
      tags: [],
      external_ids: [],
      parent_id: null,
      status: 'unverified',
      verification: null,
      casualties: NO_CASUALTIES,
    });
  });

  test('keeps an explicit occurred_to', async () => {
    const created = await createIncident(t.http, { occurred_from: '2025-03-06', occurred_to: '2025-03-07' });
    expect(created).toMatchObject({ occurred_from: '2025-03-06', occurred_to: '2025-03-07' });
  });

  describe('refused bodies write nothing', () => {
    let before: Awaited<ReturnType<typeof stored>>;
    beforeEach(async () => {
      before = await stored();
    });
    afterEach(async () => {
      expect(await stored()).toEqual(before);
    });

    test('occurred_to before occurred_from → 400 body.occurred_to', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ occurred_from: '2025-03-07', occurred_to: '2025-03-06' }))
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [
          { path: 'body.occurred_to', message: 'must not be before occurred_from' },
        ]),
      );
    });

    test('latitude without longitude → 400', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ latitude: 35.5 }))
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [
          { path: 'body.longitude', message: 'latitude and longitude must be given together' },
        ]),
      );
    });

    test('the same tag twice → 400 body.tags', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ tags: ['coastal', 'coastal'] }))
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [{ path: 'body.tags', message: 'must not list the same tag twice' }]),
      );
    });

    test('two external ids of one system → 400 body.external_ids', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(
          incidentBody({
            external_ids: [
              { system: 'acled', id: 'SYR1' },
              { system: 'acled', id: 'SYR2' },
            ],
          }),
        )
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [
          { path: 'body.external_ids', message: 'must not list the same system twice' },
        ]),
      );
    });

    test.each(Object.keys(SERVER_OWNED))('server-owned field %s → 400 naming it', async (key) => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ [key]: SERVER_OWNED[key] }))
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [{ path: `body.${key}`, message: `Unrecognized key: "${key}"` }]),
      );
    });

    test('several server-owned fields → one error per field', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ ref: 'SYR-2025-000001', status: 'verified' }))
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [
          { path: 'body.ref', message: 'Unrecognized key: "ref"' },
          { path: 'body.status', message: 'Unrecognized key: "status"' },
        ]),
      );
    });

    test('parent_id naming no incident → 422 body.parent_id', async () => {
      const res = await t.http
        .post('/v1/incidents')
        .send(incidentBody({ parent_id: UNKNOWN_ID }))
        .expect(422);
      expectProblem(res, {
        type: '/problems/unprocessable',
        title: 'Unprocessable Content',
        status: 422,
        detail: 'parent_id names no incident.',
        errors: [{ path: 'body.parent_id', message: 'no live incident with this id' }],
      });
    });
  });

  test('an external id already held by another incident → 409, and no ref number is used up', async () => {
    const holder = await createIncident(t.http, {
      country: 'IRQ',
      occurred_from: '2023-05-01',
      external_ids: [{ system: 'acled', id: 'IRQ777' }],
    });
    expect(holder.ref).toBe('IRQ-2023-000001');
    const before = await stored();

    const res = await t.http
      .post('/v1/incidents')
      .send(
        incidentBody({
          country: 'IRQ',
          occurred_from: '2023-06-01',
          tags: ['duplicate'],
          external_ids: [
            { system: 'acled', id: 'IRQ777' },
            { system: 'ucdp_ged', id: '1' },
          ],
        }),
      )
      .expect(409);
    const detail =
      'Another incident already carries this external id in the same system (external ids are unique per system).';
    expectProblem(res, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail,
      constraint: 'incident_external_ids_system_id_key',
      errors: [{ path: 'body.external_ids', message: detail }],
    });

    expect(await stored()).toEqual(before);
    const next = await createIncident(t.http, { country: 'IRQ', occurred_from: '2023-07-01' });
    expect(next.ref).toBe('IRQ-2023-000002');
    // The same id in another system is a different id.
    const otherSystem = await createIncident(t.http, {
      external_ids: [{ system: 'ucdp_ged', id: 'IRQ777' }],
    });
    expect(otherSystem.external_ids).toEqual([{ system: 'ucdp_ged', id: 'IRQ777' }]);
  });
});

describe('GET /v1/incidents/{id}', () => {
  test('unknown id → 404 problem', async () => {
    const res = await t.http.get(`/v1/incidents/${UNKNOWN_ID}`).expect(404);
    expectProblem(res, notFoundProblem('incident', UNKNOWN_ID));
  });

  test.each(['get', 'patch', 'delete'] as const)(
    '%s with an id that is no UUID → 400 path.id',
    async (method) => {
      const request = t.http[method]('/v1/incidents/not-a-uuid');
      const res = await (method === 'patch' ? request.send({ title: 'x' }) : request).expect(400);
      expectProblem(res, validationProblem('path', [{ path: 'path.id', message: 'must be a UUID' }]));
    },
  );
});

describe('PATCH /v1/incidents/{id}', () => {
  let incident: Incident;
  let made = 0;
  beforeEach(async () => {
    made += 1;
    incident = await createIncident(t.http, {
      title: 'Clashes near Jableh',
      summary: 'Security forces ambushed.',
      category: 'battle',
      subcategory: 'armed_clash',
      country: 'SYR',
      admin1: 'Latakia',
      occurred_from: '2025-03-06',
      occurred_to: '2025-03-07',
      actors: [
        { name: 'Loyalist fighters', role: 'perpetrator' },
        { name: 'Security forces', role: 'target' },
      ],
      tags: ['ambush', 'coastal'],
      external_ids: [{ system: 'acled', id: `PATCH-${made}` }],
    });
  });

  test('changes only the fields sent; a list sent replaces the stored one; version increments', async () => {
    const res = await t.http
      .patch(`/v1/incidents/${incident.id}`)
      .send({ title: 'Clashes in Jableh', tags: ['jableh'], actors: [{ name: 'Civilians', role: 'other' }] })
      .expect(200);
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toEqual({
      ...incident,
      title: 'Clashes in Jableh',
      tags: ['jableh'],
      actors: [{ name: 'Civilians', role: 'other' }],
      version: 2,
      updated_at: expect.any(String),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(incident.updated_at as string));
    expect(await getIncident(incident.id)).toEqual(res.body);

    const cleared = await t.http
      .patch(`/v1/incidents/${incident.id}`)
      .send({ summary: null, external_ids: [], actors: [] })
      .expect(200);
    expect(cleared.body).toEqual({
      ...res.body,
      summary: null,
      external_ids: [],
      actors: [],
      version: 3,
      updated_at: expect.any(String),
    });
  });

  test('the released external id can be taken by another incident', async () => {
    const externalIds = incident.external_ids;
    await t.http.patch(`/v1/incidents/${incident.id}`).send({ external_ids: [] }).expect(200);
    const other = await createIncident(t.http, { external_ids: externalIds });
    expect(other.external_ids).toEqual(externalIds);
  });

  test('moving the dates together within the range rule is accepted', async () => {
    const res = await t.http
      .patch(`/v1/incidents/${incident.id}`)
      .send({ occurred_from: '2025-03-01', occurred_to: '2025-03-02' })
      .expect(200);
    expect(res.body).toMatchObject({ occurred_from: '2025-03-01', occurred_to: '2025-03-02', version: 2 });
  });

  describe('refused patches write nothing', () => {
    let before: Awaited<ReturnType<typeof stored>>;
    beforeEach(async () => {
      before = await stored();
    });
    afterEach(async () => {
      expect(await stored()).toEqual(before);
    });

    test('occurred_to before the stored occurred_from → 422 incidents_occurred_range_check', async () => {
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ occurred_to: '2025-03-05', tags: ['should-not-stay'] })
        .expect(422);
      expectProblem(res, {
        type: '/problems/unprocessable',
        title: 'Unprocessable Content',
        status: 422,
        detail: 'occurred_to must not be before occurred_from.',
        constraint: 'incidents_occurred_range_check',
        errors: [{ path: 'body.occurred_to', message: 'occurred_to must not be before occurred_from.' }],
      });
    });

    test('occurred_to before occurred_from in the same body → 400', async () => {
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ occurred_from: '2025-03-07', occurred_to: '2025-03-06' })
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [
          { path: 'body.occurred_to', message: 'must not be before occurred_from' },
        ]),
      );
    });

    test('latitude alone on an incident without coordinates → 422 incidents_coordinates_pair_check', async () => {
      const res = await t.http.patch(`/v1/incidents/${incident.id}`).send({ latitude: 35.5 }).expect(422);
      expectProblem(res, {
        type: '/problems/unprocessable',
        title: 'Unprocessable Content',
        status: 422,
        detail: 'latitude and longitude must be given together (or both be null).',
        constraint: 'incidents_coordinates_pair_check',
        errors: [
          {
            path: 'body.latitude',
            message: 'latitude and longitude must be given together (or both be null).',
          },
        ],
      });
    });

    test('an empty body → 400', async () => {
      const res = await t.http.patch(`/v1/incidents/${incident.id}`).send({}).expect(400);
      expectProblem(
        res,
        validationProblem('body', [{ path: 'body', message: 'must change at least one field' }]),
      );
    });

    test('the same tag twice → 400 body.tags', async () => {
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ tags: ['a', 'a'] })
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [{ path: 'body.tags', message: 'must not list the same tag twice' }]),
      );
    });

    test.each(Object.keys(SERVER_OWNED))('server-owned field %s → 400 naming it', async (key) => {
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ title: 'Renamed', [key]: SERVER_OWNED[key] })
        .expect(400);
      expectProblem(
        res,
        validationProblem('body', [{ path: `body.${key}`, message: `Unrecognized key: "${key}"` }]),
      );
    });

    test('an external id another incident holds → 409, the stored list kept', async () => {
      const holder = await createIncident(t.http, { external_ids: [{ system: 'ucdp_ged', id: 'HELD-1' }] });
      before = await stored();
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ external_ids: holder.external_ids })
        .expect(409);
      const detail =
        'Another incident already carries this external id in the same system (external ids are unique per system).';
      expectProblem(res, {
        type: '/problems/conflict',
        title: 'Conflict',
        status: 409,
        detail,
        constraint: 'incident_external_ids_system_id_key',
        errors: [{ path: 'body.external_ids', message: detail }],
      });
    });

    test('unknown id → 404', async () => {
      const res = await t.http.patch(`/v1/incidents/${UNKNOWN_ID}`).send({ title: 'x' }).expect(404);
      expectProblem(res, notFoundProblem('incident', UNKNOWN_ID));
    });

    test('parent_id naming no incident → 422 body.parent_id', async () => {
      const res = await t.http
        .patch(`/v1/incidents/${incident.id}`)
        .send({ parent_id: UNKNOWN_ID })
        .expect(422);
      expectProblem(res, {
        type: '/problems/unprocessable',
        title: 'Unprocessable Content',
        status: 422,
        detail: 'parent_id names no incident.',
        errors: [{ path: 'body.parent_id', message: 'no live incident with this id' }],
      });
    });
  });
});

describe('parents', () => {
  const cycle = {
    type: '/problems/unprocessable',
    title: 'Unprocessable Content',
    status: 422,
    detail: 'An incident cannot be part of itself or of its own descendants.',
    errors: [{ path: 'body.parent_id', message: 'would make a cycle of parents' }],
  };

  test('a child names its parent; cycles of any length are refused and write nothing', async () => {
    const a = await createIncident(t.http, { title: 'Battle' });
    const b = await createIncident(t.http, { title: 'Executions', parent_id: a.id });
    expect(b.parent_id).toBe(a.id);
    const c = await createIncident(t.http, { title: 'Village killing' });
    const linked = await t.http.patch(`/v1/incidents/${c.id}`).send({ parent_id: b.id }).expect(200);
    expect(linked.body).toMatchObject({ parent_id: b.id, version: 2 });

    const before = await stored();
    for (const [child, parent] of [
      [a, a],
      [a, b],
      [a, c],
      [b, c],
      [c, c],
    ] as const) {
      const res = await t.http.patch(`/v1/incidents/${child.id}`).send({ parent_id: parent.id }).expect(422);
      expectProblem(res, cycle);
    }
    expect(await stored()).toEqual(before);

    // Detaching is always allowed, and then the reverse link is no cycle.
    await t.http.patch(`/v1/incidents/${b.id}`).send({ parent_id: null }).expect(200);
    const reversed = await t.http.patch(`/v1/incidents/${a.id}`).send({ parent_id: b.id }).expect(200);
    expect(reversed.body.parent_id).toBe(b.id);
  });

  test('a deleted incident cannot become a parent', async () => {
    const gone = await createIncident(t.http);
    await t.http.delete(`/v1/incidents/${gone.id}`).expect(204);
    const before = await stored();
    const res = await t.http
      .post('/v1/incidents')
      .send(incidentBody({ parent_id: gone.id }))
      .expect(422);
    expectProblem(res, {
      type: '/problems/unprocessable',
      title: 'Unprocessable Content',
      status: 422,
      detail: 'parent_id names no incident.',
      errors: [{ path: 'body.parent_id', message: 'no live incident with this id' }],
    });
    expect(await stored()).toEqual(before);
  });
});

describe('DELETE /v1/incidents/{id}', () => {
  test('204, then 404 everywhere and gone from lists', async () => {
    const incident = await createIncident(t.http, { admin1: 'Deleted-Province' });
    const listed = await t.http.get('/v1/incidents?admin1=Deleted-Province').expect(200);
    expect(ids(listed.body.data)).toEqual([incident.id]);

    const res = await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);
    expect(res.text).toBe('');

    const path = `/v1/incidents/${incident.id}`;
    expectProblem(await t.http.get(path).expect(404), notFoundProblem('incident', incident.id));
    expectProblem(await t.http.delete(path).expect(404), notFoundProblem('incident', incident.id));
    expectProblem(
      await t.http.patch(path).send({ title: 'Back' }).expect(404),
      notFoundProblem('incident', incident.id),
    );
    const after = await t.http.get('/v1/incidents?admin1=Deleted-Province').expect(200);
    expect(after.body).toEqual({ data: [], next_cursor: null });
    expect(ids(await allIncidents())).not.toContain(incident.id);
    const tombstones = await t.http
      .get('/v1/incidents?admin1=Deleted-Province&include_deleted=true')
      .expect(200);
    expect(tombstones.body.data).toEqual([
      { ...incident, version: 2, updated_at: expect.any(String), deleted_at: expect.any(String) },
    ]);
  });

  test('unknown id → 404', async () => {
    const res = await t.http.delete(`/v1/incidents/${UNKNOWN_ID}`).expect(404);
    expectProblem(res, notFoundProblem('incident', UNKNOWN_ID));
  });

  test('refused while a live child refers to it; allowed once the child is deleted', async () => {
    const parent = await createIncident(t.http);
    const child = await createIncident(t.http, { parent_id: parent.id });
    const before = await stored();

    const res = await t.http.delete(`/v1/incidents/${parent.id}`).expect(409);
    expectProblem(res, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The incident is the parent of live incidents (${child.id}); delete or re-parent them first.`,
      constraint: 'incident_has_live_children',
    });
    expect(await stored()).toEqual(before);

    await t.http.delete(`/v1/incidents/${child.id}`).expect(204);
    await t.http.delete(`/v1/incidents/${parent.id}`).expect(204);
  });

  test('refused while a live claim refers to it; allowed once the claim is deleted', async () => {
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const claim = await createClaim(t.http, incident.id, source.id);
    const before = await stored();

    const res = await t.http.delete(`/v1/incidents/${incident.id}`).expect(409);
    expectProblem(res, {
      type: '/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: `The incident still has live claims (${claim.id}); delete them first.`,
      constraint: 'incident_has_live_claims',
    });
    expect(await stored()).toEqual(before);
    await t.http.get(`/v1/claims/${claim.id}`).expect(200);

    await t.http.delete(`/v1/claims/${claim.id}`).expect(204);
    await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);
  });
});

describe('GET /v1/incidents filters', () => {
  const list = async (query: string): Promise<string[]> => {
    const res = await t.http.get(`/v1/incidents?limit=1000&sort=created_at&${query}`).expect(200);
    expect(res.body.next_cursor).toBeNull();
    return ids(res.body.data);
  };

  test('country: one, several (comma-separated or repeated)', async () => {
    const lbn = await createIncident(t.http, { country: 'LBN' });
    const jor = await createIncident(t.http, { country: 'JOR' });
    await createIncident(t.http, { country: 'TUR' });
    expect(await list('country=LBN')).toEqual([lbn.id]);
    expect(await list('country=LBN,JOR')).toEqual([lbn.id, jor.id]);
    expect(await list('country=JOR&country=LBN')).toEqual([lbn.id, jor.id]);
    expect(await list('country=ISR')).toEqual([]);
  });

  test('admin1 and category (several), combined with AND', async () => {
    const battle = await createIncident(t.http, { admin1: 'Filter-Hama', category: 'battle' });
    const riot = await createIncident(t.http, { admin1: 'Filter-Hama', category: 'riot' });
    await createIncident(t.http, { admin1: 'Filter-Hama', category: 'protest' });
    const elsewhere = await createIncident(t.http, { admin1: 'Filter-Homs', category: 'battle' });
    expect(await list('admin1=Filter-Homs')).toEqual([elsewhere.id]);
    expect(await list('admin1=Filter-Hama&category=battle,riot')).toEqual([battle.id, riot.id]);
    expect(await list('admin1=Filter-Hama&category=riot')).toEqual([riot.id]);
  });

  test('from/to select incidents whose occurred range overlaps [from, to], boundaries included', async () => {
    const admin1 = 'Filter-Overlap';
    const make = (occurred_from: string, occurred_to?: string) =>
      createIncident(t.http, { admin1, occurred_from, occurred_to });
    const endsOnFrom = await make('2024-01-01', '2024-01-10');
    const endsBefore = await make('2024-01-01', '2024-01-09');
    const startsOnTo = await make('2024-01-20');
    const startsAfter = await make('2024-01-21');
    const spans = await make('2023-12-01', '2024-02-28');
    const inside = await make('2024-01-15');

    expect(await list(`admin1=${admin1}&from=2024-01-10&to=2024-01-20`)).toEqual([
      endsOnFrom.id,
      startsOnTo.id,
      spans.id,
      inside.id,
    ]);
    expect(await list(`admin1=${admin1}&from=2024-01-20`)).toEqual([startsOnTo.id, startsAfter.id, spans.id]);
    expect(await list(`admin1=${admin1}&to=2024-01-09`)).toEqual([endsOnFrom.id, endsBefore.id, spans.id]);
    expect(await list(`admin1=${admin1}&from=2024-01-15&to=2024-01-15`)).toEqual([spans.id, inside.id]);
  });

  test('from after to → 400', async () => {
    const res = await t.http.get('/v1/incidents?from=2024-02-01&to=2024-01-31').expect(400);
    expectProblem(res, validationProblem('query', [{ path: 'query.from', message: 'must not be after to' }]));
  });

  test('source_id: incidents with a live claim from that source; a deleted claim no longer counts', async () => {
    const source = await createSource(t.http, { name: 'Filter monitor' });
    const other = await createSource(t.http, { name: 'Other monitor' });
    const claimed = await createIncident(t.http);
    const claimedTwice = await createIncident(t.http);
    const byOther = await createIncident(t.http);
    const withdrawn = await createIncident(t.http);
    await createClaim(t.http, claimed.id, source.id);
    await createClaim(t.http, claimedTwice.id, source.id);
    await createClaim(t.http, claimedTwice.id, source.id, { stance: 'contradicts' });
    await createClaim(t.http, byOther.id, other.id);
    const toDelete = await createClaim(t.http, withdrawn.id, source.id);

    expect(await list(`source_id=${source.id}`)).toEqual([claimed.id, claimedTwice.id, withdrawn.id]);
    await t.http.delete(`/v1/claims/${toDelete.id}`).expect(204);
    expect(await list(`source_id=${source.id}`)).toEqual([claimed.id, claimedTwice.id]);
    expect(await list(`source_id=${other.id}`)).toEqual([byOther.id]);
    expect(await list(`source_id=${UNKNOWN_ID}`)).toEqual([]);
  });

  test('a category outside the vocabulary → 400 naming its position', async () => {
    const res = await t.http.get('/v1/incidents?category=battle,massacre').expect(400);
    expectProblem(
      res,
      validationProblem('query', [
        {
          path: 'query.category.1',
          message:
            'Invalid option: expected one of "battle"|"explosion_remote_violence"|"violence_against_civilians"|"protest"|"riot"|"strategic_development"',
        },
      ]),
    );
  });

  test('source_id that is no UUID → 400', async () => {
    const res = await t.http.get('/v1/incidents?source_id=42').expect(400);
    expectProblem(res, validationProblem('query', [{ path: 'query.source_id', message: 'must be a UUID' }]));
  });
});

describe('GET /v1/incidents sort and keyset paging', () => {
  const admin1 = 'Paging-Idlib';
  const SORTS = [
    'occurred_from',
    '-occurred_from',
    'created_at',
    '-created_at',
    'updated_at',
    '-updated_at',
  ] as const;
  let all: Incident[];

  beforeAll(async () => {
    // Ties on occurred_from, so the id has to break them.
    const dates = [
      '2022-05-01',
      '2022-05-03',
      '2022-05-01',
      '2022-05-02',
      '2022-05-03',
      '2022-04-30',
      '2022-05-03',
    ];
    const created: Incident[] = [];
    for (const occurred_from of dates) created.push(await createIncident(t.http, { admin1, occurred_from }));
    // Touch some in another order, so that updated_at orders differently from created_at.
    for (const i of [4, 0, 5]) {
      await t.http
        .patch(`/v1/incidents/${created[i]!.id}`)
        .send({ summary: `touched ${i}` })
        .expect(200);
    }
    const res = await t.http.get(`/v1/incidents?admin1=${admin1}&limit=1000`).expect(200);
    all = res.body.data;
    expect(all).toHaveLength(dates.length);
  });

  function expectedOrder(sort: (typeof SORTS)[number]): string[] {
    const key = sort.replace(/^-/, '') as 'occurred_from' | 'created_at' | 'updated_at';
    const ascending = [...all].sort((a, b) => {
      const ka = a[key] as string;
      const kb = b[key] as string;
      if (ka !== kb) return ka < kb ? -1 : 1;
      return a.id < b.id ? -1 : 1;
    });
    return ids(sort.startsWith('-') ? ascending.reverse() : ascending);
  }

  /** Follows the Link header page by page, checking it agrees with next_cursor. */
  async function pageThrough(query: string) {
    const seen: string[] = [];
    const sizes: number[] = [];
    let path: string | undefined = `/v1/incidents?${query}`;
    while (path) {
      const res: Response = await t.http.get(path).expect(200);
      seen.push(...ids(res.body.data));
      sizes.push(res.body.data.length);
      if (res.body.next_cursor === null) {
        expect(linkTargets(res.headers.link).next).toBeUndefined();
        path = undefined;
      } else {
        const target = linkTargets(res.headers.link).next;
        expect(target).toBeDefined();
        const next = new URL(target!);
        expect(next.pathname).toBe('/v1/incidents');
        expect(next.searchParams.get('cursor')).toBe(res.body.next_cursor);
        for (const [name, value] of new URLSearchParams(query)) {
          if (name !== 'cursor') expect(next.searchParams.get(name)).toBe(value);
        }
        path = `${next.pathname}${next.search}`;
      }
    }
    return { seen, sizes };
  }

  test.each(SORTS)('sort=%s, two per page, returns every record once in order', async (sort) => {
    const { seen, sizes } = await pageThrough(`admin1=${admin1}&sort=${sort}&limit=2`);
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(seen).toEqual(expectedOrder(sort));
  });

  test('the default sort is -occurred_from', async () => {
    const { seen } = await pageThrough(`admin1=${admin1}&limit=3`);
    expect(seen).toEqual(expectedOrder('-occurred_from'));
  });

  test('a page that ends exactly on the last record has next_cursor null and no Link', async () => {
    const { sizes } = await pageThrough(`admin1=${admin1}&sort=created_at&limit=7`);
    expect(sizes).toEqual([7]);
  });

  test('a cursor issued for one sort is refused with another → 400', async () => {
    const first = await t.http.get(`/v1/incidents?admin1=${admin1}&sort=occurred_from&limit=2`).expect(200);
    const cursor = first.body.next_cursor as string;
    const res = await t.http
      .get(`/v1/incidents?admin1=${admin1}&sort=-occurred_from&limit=2&cursor=${cursor}`)
      .expect(400);
    expectProblem(res, {
      type: '/problems/invalid-cursor',
      title: 'Bad Request',
      status: 400,
      detail:
        'The cursor was issued for another order of this list: keep the sort (and q) it was issued with while paging.',
      errors: [
        { path: 'query.cursor', message: 'issued for another sort order; keep the same sort while paging' },
      ],
    });
  });

  test.each([
    ['not base64 JSON', 'bm90LWpzb24'],
    [
      'a forged key value',
      Buffer.from(JSON.stringify({ s: 'occurred_from', a: ['yesterday', 'x'] })).toString('base64url'),
    ],
  ])('a cursor that is %s → 400', async (_what, cursor) => {
    const res = await t.http.get(`/v1/incidents?sort=occurred_from&cursor=${cursor}`).expect(400);
    expectProblem(res, {
      type: '/problems/invalid-cursor',
      title: 'Bad Request',
      status: 400,
      detail: 'The cursor is not one this API issued.',
      errors: [{ path: 'query.cursor', message: 'not a cursor issued by this API' }],
    });
  });
});
