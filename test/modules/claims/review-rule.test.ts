import { createTestApp, type TestApp } from '../../helpers/app';
import { createClaim, createIncident, createSource } from '../../helpers/factories';

/**
 * Reviewed claims stay reviewed: a change below verifier to what an accepted or rejected claim's review vouched
 * for sends it back to pending, so the derived figures drop it until a verifier accepts it again; a verifier's
 * own edit keeps the review.
 */

let t: TestApp;
let contributor: TestApp['http'];
let verifier: TestApp['http'];
beforeAll(async () => {
  t = await createTestApp();
  contributor = (await t.as('contributor')).http;
  verifier = (await t.as('verifier')).http;
});
afterAll(() => t.close());

const read = async (path: string) => (await t.http.get(path).expect(200)).body;

/** An incident with two accepted supporting claims from independent sources: corroborated, killed 38–40. */
async function reviewedIncident() {
  const incident = await createIncident(t.http);
  const monitor = await createSource(t.http, { name: 'Monitor', reliability: 'B' });
  const witness = await createSource(t.http, { name: 'Witness', kind: 'witness' });
  const monitorClaim = await createClaim(t.http, incident.id, monitor.id, {
    review_status: 'accepted',
    review_note: 'Matches the list of names.',
    killed: 40,
  });
  const witnessClaim = await createClaim(t.http, incident.id, witness.id, {
    review_status: 'accepted',
    killed: 38,
  });
  return { incident, monitorClaim, witnessClaim };
}

describe('a contributor changing a reviewed claim', () => {
  test('sends it back to pending when its figures change, and the figures stop counting it', async () => {
    const { incident, monitorClaim, witnessClaim } = await reviewedIncident();
    expect((await read(`/v1/incidents/${incident.id}`)).casualties.killed).toMatchObject({
      low: 38,
      high: 40,
    });

    const res = await contributor.patch(`/v1/claims/${monitorClaim.id}`).send({ killed: 9999 }).expect(200);
    expect(res.body).toMatchObject({
      killed: 9999,
      review_status: 'pending',
      review_note: 'Back to review: killed changed after the claim was accepted.',
    });

    const after = await read(`/v1/incidents/${incident.id}`);
    expect(after.casualties.killed).toMatchObject({
      low: 38,
      best: 38,
      high: 38,
      claims: 1,
      best_claim_id: witnessClaim.id,
    });
    expect(after.status).toBe('unverified');

    // The note the review had is kept in the history, with the change that reopened it.
    const history = (await read(`/v1/claims/${monitorClaim.id}/history`)).data;
    expect(history.at(-1)).toMatchObject({
      actor: expect.any(String),
      changes: {
        killed: { from: 40, to: 9999 },
        review_status: { from: 'accepted', to: 'pending' },
        review_note: {
          from: 'Matches the list of names.',
          to: 'Back to review: killed changed after the claim was accepted.',
        },
      },
    });
    const incidentHistory = (await read(`/v1/incidents/${incident.id}/history`)).data;
    expect(incidentHistory.at(-1).cause).toEqual({
      claim_id: monitorClaim.id,
      reason: 'claim sent back to review',
    });
  });

  test('sends it back when its stance, credibility or publication time changes, naming each', async () => {
    const { incident, monitorClaim } = await reviewedIncident();
    const res = await contributor
      .patch(`/v1/claims/${monitorClaim.id}`)
      .send({ stance: 'contradicts', credibility: 1, published_at: '2025-03-08T10:00:00+02:00' })
      .expect(200);
    expect(res.body).toMatchObject({
      review_status: 'pending',
      review_note: 'Back to review: stance, credibility, published_at changed after the claim was accepted.',
    });
    // Had the stance counted, the incident would be disputed; pending, it is not counted at all.
    const after = await read(`/v1/incidents/${incident.id}`);
    expect(after.status).toBe('unverified');
    expect(after.casualties.killed.claims).toBe(1);
  });

  test('keeps the review when only the wording changes (statement, translation, URLs)', async () => {
    const { monitorClaim } = await reviewedIncident();
    const res = await contributor
      .patch(`/v1/claims/${monitorClaim.id}`)
      .send({ statement: 'Around 40 civilians were executed together.', url: 'https://example.org/report' })
      .expect(200);
    expect(res.body).toMatchObject({ review_status: 'accepted', review_note: 'Matches the list of names.' });
  });

  test('sends a rejected claim back too; a pending one stays pending with its note', async () => {
    const incident = await createIncident(t.http);
    const source = await createSource(t.http);
    const rejected = await createClaim(t.http, incident.id, source.id, {
      review_status: 'rejected',
      review_note: 'Footage from 2019.',
      killed: 12,
    });
    const pending = await createClaim(t.http, incident.id, source.id, {
      killed: 3,
      review_note: 'Awaiting video.',
    });
    expect(
      (await contributor.patch(`/v1/claims/${rejected.id}`).send({ killed: 13 }).expect(200)).body,
    ).toMatchObject({
      review_status: 'pending',
      review_note: 'Back to review: killed changed after the claim was rejected.',
    });
    expect(
      (await contributor.patch(`/v1/claims/${pending.id}`).send({ killed: 4 }).expect(200)).body,
    ).toMatchObject({ review_status: 'pending', review_note: 'Awaiting video.' });
  });

  test('even on a verified incident: the ruling stays, the figures drop the reopened claim', async () => {
    const { incident, monitorClaim } = await reviewedIncident();
    await verifier
      .post(`/v1/incidents/${incident.id}/verification`)
      .send({ status: 'verified', rationale: 'Geolocated videos.' })
      .expect(200);
    await contributor.patch(`/v1/claims/${monitorClaim.id}`).send({ killed: 9999 }).expect(200);
    const after = await read(`/v1/incidents/${incident.id}`);
    expect(after.status).toBe('verified');
    expect(after.casualties.killed).toMatchObject({ low: 38, best: 38, high: 38 });
  });
});

describe('a verifier changing a reviewed claim', () => {
  test('keeps its review, and the figures follow the change at once', async () => {
    const { incident, monitorClaim } = await reviewedIncident();
    const res = await verifier.patch(`/v1/claims/${monitorClaim.id}`).send({ killed: 41 }).expect(200);
    expect(res.body).toMatchObject({
      killed: 41,
      review_status: 'accepted',
      review_note: 'Matches the list of names.',
    });
    expect((await read(`/v1/incidents/${incident.id}`)).casualties.killed).toMatchObject({
      low: 38,
      high: 41,
    });
  });

  test('accepts a reopened claim again, which counts again', async () => {
    const { incident, monitorClaim } = await reviewedIncident();
    await contributor.patch(`/v1/claims/${monitorClaim.id}`).send({ killed: 45 }).expect(200);
    await verifier
      .patch(`/v1/claims/${monitorClaim.id}`)
      .send({ review_status: 'accepted', review_note: 'The new count is in the monitor’s update.' })
      .expect(200);
    expect((await read(`/v1/incidents/${incident.id}`)).casualties.killed).toMatchObject({
      low: 38,
      high: 45,
    });
  });
});
