import { createTestApp, type TestApp } from '../helpers/app';
import {
  createClaim,
  createIncident,
  createSource,
  expectProblem,
  notFoundProblem,
  validationProblem,
  committedAtOrAfter,
} from '../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const VERIFIED = {
  status: 'verified',
  rationale: 'Three videos geolocated to the village square; the bodies match the lists of names.',
};
const DISCREDITED = {
  status: 'discredited',
  rationale: 'The footage was first published in 2019, in another province.',
};

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

const rule = (id: string, body: Record<string, unknown>) =>
  t.http.post(`/v1/incidents/${id}/verification`).send(body);

const read = async (id: string) => (await t.http.get(`/v1/incidents/${id}`).expect(200)).body;

async function historyOf(id: string): Promise<Entry[]> {
  const res = await t.http.get(`/v1/incidents/${id}/history?limit=1000`).expect(200);
  return res.body.data;
}

/** An incident with one accepted supporting claim each from two independent sources: corroborated. */
async function corroboratedIncident() {
  const incident = await createIncident(t.http);
  const monitor = await createSource(t.http, { reliability: 'B' });
  const witness = await createSource(t.http, { name: 'Resident of al-Mukhtariya', kind: 'witness' });
  await createClaim(t.http, incident.id, monitor.id, { review_status: 'accepted', killed: 40 });
  await createClaim(t.http, incident.id, witness.id, { review_status: 'accepted', killed: 38 });
  return { incident: await read(incident.id), monitor, witness };
}

describe('POST /v1/incidents/{id}/verification', () => {
  it('sets verified with the rationale, who and when, as a new version', async () => {
    const incident = await createIncident(t.http);
    expect(incident.verification).toBeNull();
    const before = Date.now();

    const res = await rule(incident.id, VERIFIED);

    const after = Date.now();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.etag).toBe('"2"');
    expect(res.body).toEqual({
      ...incident,
      status: 'verified',
      verification: {
        status: 'verified',
        rationale: VERIFIED.rationale,
        verified_by: t.admin.id,
        verified_at: expect.stringMatching(RFC3339_UTC),
      },
      version: 2,
      updated_at: expect.stringMatching(RFC3339_UTC),
    });
    const verifiedAt = Date.parse(res.body.verification.verified_at);
    expect(verifiedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(verifiedAt).toBeLessThanOrEqual(after + 1000);
    expect(await read(incident.id)).toEqual(res.body);
  });

  it('sets discredited the same way', async () => {
    const incident = await createIncident(t.http);

    const res = await rule(incident.id, DISCREDITED).expect(200);

    expect(res.body.status).toBe('discredited');
    expect(res.body.verification).toEqual({
      status: 'discredited',
      rationale: DISCREDITED.rationale,
      verified_by: t.admin.id,
      verified_at: expect.stringMatching(RFC3339_UTC),
    });
  });

  it('keeps a ruling while claims change, until auto hands the status back to the rules', async () => {
    const { incident, monitor, witness } = await corroboratedIncident();
    expect(incident.status).toBe('corroborated');
    const ruled = (await rule(incident.id, VERIFIED).expect(200)).body;

    // A contradicting claim, once accepted, would make the incident disputed under the rules.
    const ministry = await createSource(t.http, {
      name: 'Ministry of Interior',
      kind: 'government',
      party_to_conflict: true,
    });
    const denial = await createClaim(t.http, incident.id, ministry.id, {
      stance: 'contradicts',
      statement: 'Individual violations only.',
    });
    await t.http.patch(`/v1/claims/${denial.id}`).send({ review_status: 'accepted' }).expect(200);
    const extra = await createClaim(t.http, incident.id, monitor.id, {
      review_status: 'accepted',
      killed: 52,
    });
    await t.http.patch(`/v1/sources/${witness.id}`).send({ reliability: 'A' }).expect(200);

    const held = await read(incident.id);
    expect(held.status).toBe('verified');
    expect(held.verification).toEqual(ruled.verification);
    // The figures still follow the claims: the witness, now rated A, gives the best estimate.
    expect(held.casualties.killed).toMatchObject({ low: 38, best: 38, high: 52, claims: 3 });
    expect(held.casualties.killed.high_claim_id).toBe(extra.id);
    const sinceRuling = (await historyOf(incident.id)).filter((e) => e.version > ruled.version);
    expect(sinceRuling.map((e) => [e.cause, Object.keys(e.changes), e.state.status])).toEqual([
      [{ claim_id: extra.id, reason: 'claim created' }, ['casualties'], 'verified'],
      [
        { source_id: witness.id, reason: 'source reliability or independence group changed' },
        ['casualties'],
        'verified',
      ],
    ]);

    const res = await rule(incident.id, { status: 'auto', rationale: 'Returned to the rules after review.' });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...held,
      status: 'disputed',
      verification: null,
      version: held.version + 1,
      updated_at: expect.stringMatching(RFC3339_UTC),
    });
  });

  it('keeps discredited while a new supporting claim is accepted', async () => {
    const incident = await createIncident(t.http);
    await rule(incident.id, DISCREDITED).expect(200);
    const first = await createSource(t.http);
    const second = await createSource(t.http, { name: 'Another monitor' });

    await createClaim(t.http, incident.id, first.id, { review_status: 'accepted', killed: 3 });
    await createClaim(t.http, incident.id, second.id, { review_status: 'accepted', killed: 4 });

    expect((await read(incident.id)).status).toBe('discredited');
    const res = await rule(incident.id, { status: 'auto', rationale: 'New evidence.' }).expect(200);
    expect(res.body.status).toBe('corroborated');
    expect(res.body.verification).toBeNull();
  });

  it('replaces one ruling with another', async () => {
    const incident = await createIncident(t.http);
    await rule(incident.id, VERIFIED).expect(200);

    const res = await rule(incident.id, DISCREDITED).expect(200);

    expect(res.body).toMatchObject({
      status: 'discredited',
      version: 3,
      verification: { status: 'discredited', rationale: DISCREDITED.rationale },
    });
  });

  it('withholds the rationale below contributor: on the record, in its history and in the feed', async () => {
    const { incident } = await corroboratedIncident();
    await rule(incident.id, VERIFIED).expect(200);
    await rule(incident.id, { status: 'auto', rationale: 'Withdrawn: the videos were re-dated.' }).expect(
      200,
    );
    const verified = await rule(incident.id, VERIFIED).expect(200);
    const reader = (await t.as('reader')).http;
    const contributor = (await t.as('contributor')).http;

    for (const viewer of [t.anonymous, reader]) {
      const seen = (await viewer.get(`/v1/incidents/${incident.id}`).expect(200)).body;
      expect(seen.verification).toEqual({ ...verified.body.verification, rationale: null });
      const history = (await viewer.get(`/v1/incidents/${incident.id}/history`).expect(200)).body.data;
      expect(JSON.stringify(history)).not.toMatch(/geolocated|re-dated/);
      expect(history.at(-2).cause).toEqual({ verification: 'auto', rationale: null });
      const feed = (await viewer.get('/v1/changes?limit=1000').expect(200)).text;
      expect(feed).not.toMatch(/geolocated|re-dated/);
    }
    const seen = (await contributor.get(`/v1/incidents/${incident.id}`).expect(200)).body;
    expect(seen.verification.rationale).toBe(VERIFIED.rationale);
    const history = (await contributor.get(`/v1/incidents/${incident.id}/history`).expect(200)).body.data;
    expect(history.at(-2).cause).toEqual({
      verification: 'auto',
      rationale: 'Withdrawn: the videos were re-dated.',
    });
  });

  it('records the ruling and its hand-back in the history with their cause', async () => {
    const { incident } = await corroboratedIncident();

    const verified = await rule(incident.id, VERIFIED).expect(200);
    const auto = await rule(incident.id, { status: 'auto', rationale: 'Ruling withdrawn.' }).expect(200);

    const [ruling, handBack] = (await historyOf(incident.id)).slice(-2);
    expect(ruling).toEqual({
      version: incident.version + 1,
      action: 'update',
      actor: t.admin.id,
      request_id: verified.headers['x-request-id'],
      changed_at: committedAtOrAfter(verified.body.updated_at),
      changes: {
        status: { from: 'corroborated', to: 'verified' },
        verification: { from: null, to: verified.body.verification },
      },
      cause: { verification: 'verified', rationale: VERIFIED.rationale },
      state: verified.body,
    });
    expect(handBack).toEqual({
      version: incident.version + 2,
      action: 'update',
      actor: t.admin.id,
      request_id: auto.headers['x-request-id'],
      changed_at: committedAtOrAfter(auto.body.updated_at),
      changes: {
        status: { from: 'verified', to: 'corroborated' },
        verification: { from: verified.body.verification, to: null },
      },
      cause: { verification: 'auto', rationale: 'Ruling withdrawn.' },
      state: auto.body,
    });
  });

  describe('refuses, changing nothing', () => {
    it.each([
      [
        'a blank rationale',
        { status: 'verified', rationale: '  \n\t ' },
        'body.rationale',
        'must not be blank',
      ],
      ['an empty rationale', { status: 'verified', rationale: '' }, 'body.rationale', 'must not be blank'],
      [
        'a missing rationale',
        { status: 'verified' },
        'body.rationale',
        'Invalid input: expected string, received undefined',
      ],
      [
        'a missing rationale on auto',
        { status: 'auto' },
        'body.rationale',
        'Invalid input: expected string, received undefined',
      ],
      [
        'an unknown status',
        { status: 'corroborated', rationale: 'Two sources.' },
        'body.status',
        'Invalid option: expected one of "verified"|"discredited"|"auto"',
      ],
      [
        'a missing status',
        { rationale: 'Two sources.' },
        'body.status',
        'Invalid option: expected one of "verified"|"discredited"|"auto"',
      ],
      [
        'a rationale that is not text',
        { status: 'verified', rationale: 42 },
        'body.rationale',
        'Invalid input: expected string, received number',
      ],
    ])('%s with 400', async (_, body, path, message) => {
      const incident = await createIncident(t.http);

      const res = await rule(incident.id, body);

      expectProblem(res, validationProblem('body', [{ path, message }]));
      expect(await read(incident.id)).toEqual(incident);
      expect((await historyOf(incident.id)).map((e) => e.version)).toEqual([1]);
    });
  });

  it('answers 404 for an incident that does not exist', async () => {
    const res = await rule(UNKNOWN_ID, VERIFIED);

    expectProblem(res, notFoundProblem('incident', UNKNOWN_ID));
  });

  it('answers 404 for a deleted incident', async () => {
    const incident = await createIncident(t.http);
    await t.http.delete(`/v1/incidents/${incident.id}`).expect(204);

    const res = await rule(incident.id, VERIFIED);

    expectProblem(res, notFoundProblem('incident', incident.id));
    expect((await historyOf(incident.id)).map((e) => e.action)).toEqual(['create', 'delete']);
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const res = await rule('SYR-2025-000001', VERIFIED);

    expectProblem(res, validationProblem('path', [{ path: 'path.id', message: 'must be a UUID' }]));
  });
});
