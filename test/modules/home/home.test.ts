import { createTestApp, type TestApp } from '../../helpers/app';
import { expectProblem } from '../../helpers/factories';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const hrefs = (html: string) =>
  [...html.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));

test('GET / is an HTML page naming the service and linking the docs, the document, health and the data', async () => {
  const res = await t.anonymous.get('/').set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(res.text).toMatch(/^<!doctype html>/);
  expect(res.text).toContain('<title>Corroborate API</title>');
  expect(res.text).toContain('<h1>Corroborate API</h1>');
  expect(hrefs(res.text)).toEqual(
    expect.arrayContaining(['/docs', '/openapi.json', '/healthz', '/readyz', '/v1/incidents', '/v1/sources']),
  );
});

test('every link on the page answers', async () => {
  const res = await t.anonymous.get('/');
  for (const href of hrefs(res.text)) {
    const linked = await t.anonymous.get(href);
    expect([href, linked.status]).toEqual([href, 200]);
  }
});

test('without Accept, and for */*, the page is HTML; a client asking for JSON gets the links as JSON', async () => {
  expect((await t.anonymous.get('/').unset('accept')).headers['content-type']).toMatch(/^text\/html/);
  expect((await t.anonymous.get('/').set('accept', '*/*')).headers['content-type']).toMatch(/^text\/html/);
  for (const accept of ['application/json', 'application/json, */*', 'text/html;q=0.5, application/json']) {
    const res = await t.anonymous.get('/').set('accept', accept);
    expect([accept, res.headers['content-type']]).toEqual([accept, 'application/json; charset=utf-8']);
    expect(res.body).toMatchObject({ name: 'Corroborate API', version: expect.any(String) });
    expect(res.body.links.map((l: { href: string }) => l.href)).toEqual(
      expect.arrayContaining(['/docs', '/openapi.json', '/healthz', '/readyz', '/v1/incidents']),
    );
  }
});

test('a client accepting neither HTML nor JSON gets 406', async () => {
  const res = await t.anonymous.get('/').set('accept', 'text/csv');
  expectProblem(res, {
    type: '/problems/not-acceptable',
    title: 'Not Acceptable',
    status: 406,
    detail: 'This page is available as text/html or application/json.',
  });
});
