import { createTestApp, type TestApp } from '../helpers/app';
import {
  claimBody,
  createIncident,
  createSource,
  expectProblem,
  incidentBody,
  sourceBody,
  type ExpectedProblem,
} from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

type Resource = Record<string, unknown> & { id: string; version: number };

interface Kind {
  collection: 'sources' | 'incidents' | 'claims';
  type: 'source' | 'incident' | 'claim';
  /** A valid creation body (creating what the record refers to first). */
  body(): Promise<Record<string, unknown>>;
  /** The n-th distinct change of one field. */
  patch(n: number): Record<string, unknown>;
}

const KINDS: Kind[] = [
  {
    collection: 'sources',
    type: 'source',
    body: async () => sourceBody(),
    patch: (n) => ({ name: `Renamed source ${n}` }),
  },
  {
    collection: 'incidents',
    type: 'incident',
    body: async () => incidentBody(),
    patch: (n) => ({ title: `Renamed incident ${n}` }),
  },
  {
    collection: 'claims',
    type: 'claim',
    body: async () => claimBody((await createIncident(t.http)).id, (await createSource(t.http)).id),
    patch: (n) => ({ statement: `Restated ${n}` }),
  },
];

function stale(type: string, id: string, current: number): ExpectedProblem {
  return {
    type: '/problems/precondition-failed',
    title: 'Precondition Failed',
    status: 412,
    detail: `The ${type} ${id} has changed since it was read: its current version is ${current} (ETag "${current}"). Read it again and reapply the change.`,
  };
}

async function versionsOf(collection: string, id: string): Promise<number[]> {
  const res = await t.http.get(`/v1/${collection}/${id}/history?limit=1000`).expect(200);
  return res.body.data.map((e: { version: number }) => e.version);
}

describe.each(KINDS)(
  'ETag and conditional requests on /v1/$collection',
  ({ collection, type, body, patch }) => {
    /** A record at version 2, as read. */
    async function recordAtVersion2(): Promise<Resource> {
      const created = await t.http
        .post(`/v1/${collection}`)
        .send(await body())
        .expect(201);
      return (await t.http.patch(`/v1/${collection}/${created.body.id}`).send(patch(0)).expect(200)).body;
    }

    it('sends ETag "<version>" on POST, GET and PATCH', async () => {
      const created = await t.http
        .post(`/v1/${collection}`)
        .send(await body())
        .expect(201);
      expect(created.headers.etag).toBe('"1"');
      const id = created.body.id as string;

      const read = await t.http.get(`/v1/${collection}/${id}`).expect(200);
      expect(read.headers.etag).toBe('"1"');

      const patched = await t.http.patch(`/v1/${collection}/${id}`).send(patch(1)).expect(200);
      expect(patched.headers.etag).toBe('"2"');
      expect(patched.body.version).toBe(2);

      const reread = await t.http.get(`/v1/${collection}/${id}`).expect(200);
      expect(reread.headers.etag).toBe('"2"');
      expect(reread.body).toEqual(patched.body);
    });

    it('answers If-None-Match with the current ETag by 304 and no body, and an old one by 200', async () => {
      const record = await recordAtVersion2();
      const url = `/v1/${collection}/${record.id}`;

      for (const header of ['"2"', 'W/"2"', '"1", "2"', '*']) {
        const res = await t.http.get(url).set('if-none-match', header);
        expect({ header, status: res.status, etag: res.headers.etag, text: res.text }).toEqual({
          header,
          status: 304,
          etag: '"2"',
          text: '',
        });
        expect(res.headers['content-type']).toBeUndefined();
      }

      const old = await t.http.get(url).set('if-none-match', '"1"');
      expect(old.status).toBe(200);
      expect(old.headers.etag).toBe('"2"');
      expect(old.body).toEqual(record);
    });

    it('refuses a PATCH with a stale If-Match with 412, changing nothing', async () => {
      const record = await recordAtVersion2();
      const url = `/v1/${collection}/${record.id}`;

      const res = await t.http.patch(url).set('if-match', '"1"').send(patch(9));

      expectProblem(res, stale(type, record.id, 2));
      expect(res.headers.etag).toBeUndefined();
      expect((await t.http.get(url).expect(200)).body).toEqual(record);
      expect(await versionsOf(collection, record.id)).toEqual([1, 2]);
    });

    it('applies a PATCH whose If-Match names the current version, or *, or lists it', async () => {
      const record = await recordAtVersion2();
      const url = `/v1/${collection}/${record.id}`;

      const current = await t.http.patch(url).set('if-match', '"2"').send(patch(3)).expect(200);
      expect(current.headers.etag).toBe('"3"');
      expect(current.body).toMatchObject({ ...patch(3), version: 3 });

      const any = await t.http.patch(url).set('if-match', '*').send(patch(4)).expect(200);
      expect(any.headers.etag).toBe('"4"');
      expect(any.body).toMatchObject({ ...patch(4), version: 4 });

      const listed = await t.http.patch(url).set('if-match', '"1", "4"').send(patch(5)).expect(200);
      expect(listed.body).toMatchObject({ ...patch(5), version: 5 });
      expect(await versionsOf(collection, record.id)).toEqual([1, 2, 3, 4, 5]);
    });

    it.each([
      ['a weak ETag of the current version', 'W/"2"'],
      ['a bare version number', '2'],
      ['a malformed tag', '"2'],
    ])('refuses a PATCH whose If-Match is %s with 412', async (_, header) => {
      const record = await recordAtVersion2();

      const res = await t.http.patch(`/v1/${collection}/${record.id}`).set('if-match', header).send(patch(7));

      expectProblem(res, stale(type, record.id, 2));
      expect((await t.http.get(`/v1/${collection}/${record.id}`).expect(200)).body).toEqual(record);
    });

    it('refuses a DELETE with a stale If-Match with 412, leaving the record in place', async () => {
      const record = await recordAtVersion2();
      const url = `/v1/${collection}/${record.id}`;

      const res = await t.http.delete(url).set('if-match', '"1"');

      expectProblem(res, stale(type, record.id, 2));
      expect((await t.http.get(url).expect(200)).body).toEqual(record);
      expect(await versionsOf(collection, record.id)).toEqual([1, 2]);

      const weak = await t.http.delete(url).set('if-match', 'W/"2"');
      expectProblem(weak, stale(type, record.id, 2));
      expect(await versionsOf(collection, record.id)).toEqual([1, 2]);
    });

    it('applies a DELETE whose If-Match names the current version', async () => {
      const record = await recordAtVersion2();
      const url = `/v1/${collection}/${record.id}`;

      const res = await t.http.delete(url).set('if-match', '"2"');

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await t.http.get(url)).status).toBe(404);
      expect(await versionsOf(collection, record.id)).toEqual([1, 2, 3]);
    });

    it('applies a DELETE with If-Match: *', async () => {
      const record = await recordAtVersion2();

      await t.http.delete(`/v1/${collection}/${record.id}`).set('if-match', '*').expect(204);

      expect((await t.http.get(`/v1/${collection}/${record.id}`)).status).toBe(404);
    });
  },
);

describe('POST /v1/incidents/{id}/verification with If-Match', () => {
  const ruling = { status: 'verified', rationale: 'Video of the bodies geolocated to the village square.' };

  it('refuses a stale If-Match with 412, leaving status and history as they were', async () => {
    const incident = await createIncident(t.http);
    await t.http.patch(`/v1/incidents/${incident.id}`).send({ summary: 'Two days of fighting.' }).expect(200);
    const before = (await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body;

    const res = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('if-match', '"1"')
      .send(ruling);

    expectProblem(res, stale('incident', incident.id, 2));
    expect((await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body).toEqual(before);
    expect(before).toMatchObject({ status: 'unverified', verification: null, version: 2 });
    expect(await versionsOf('incidents', incident.id)).toEqual([1, 2]);
  });

  it('applies a ruling whose If-Match is current, answering with the new ETag', async () => {
    const incident = await createIncident(t.http);

    const res = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('if-match', '"1"')
      .send(ruling)
      .expect(200);

    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toMatchObject({ status: 'verified', version: 2 });

    const again = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('if-match', '"1"')
      .send({ status: 'auto', rationale: 'Handing back.' });
    expectProblem(again, stale('incident', incident.id, 2));
    expect((await t.http.get(`/v1/incidents/${incident.id}`).expect(200)).body.status).toBe('verified');
  });

  it('applies a ruling with If-Match: *', async () => {
    const incident = await createIncident(t.http);

    const res = await t.http
      .post(`/v1/incidents/${incident.id}/verification`)
      .set('if-match', '*')
      .send({ status: 'discredited', rationale: 'The footage predates the incident.' })
      .expect(200);

    expect(res.headers.etag).toBe('"2"');
    expect(res.body.status).toBe('discredited');
  });
});
