import { createTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ CORS_ORIGINS: 'https://partner.example, https://mirror.example:8443' });
});
afterAll(() => t.close());

test('every response carries the security headers, errors included', async () => {
  for (const res of [await t.anonymous.get('/v1/incidents'), await t.anonymous.get('/v1/nowhere')]) {
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  }
});

test('the interactive docs still load under the content security policy', async () => {
  const page = await t.anonymous.get('/docs/').redirects(2);
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  // Its scripts are files of its own origin, which default-src 'self' allows.
  for (const script of [...page.text.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!)) {
    expect(script.startsWith('http')).toBe(false);
    await t.anonymous.get(new URL(script, 'http://x/docs/').pathname).expect(200);
  }
});

test('a listed origin may call the API from a browser, with the headers a client needs exposed', async () => {
  const preflight = await t.anonymous
    .options('/v1/incidents')
    .set('origin', 'https://partner.example')
    .set('access-control-request-method', 'PATCH')
    .set('access-control-request-headers', 'authorization, if-match, content-type');
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-origin']).toBe('https://partner.example');
  expect(preflight.headers['access-control-allow-methods']).toContain('PATCH');
  expect(preflight.headers['access-control-allow-headers']).toContain('If-Match');

  const res = await t.anonymous.get('/v1/incidents').set('origin', 'https://mirror.example:8443');
  expect(res.headers['access-control-allow-origin']).toBe('https://mirror.example:8443');
  expect(res.headers['access-control-expose-headers']).toContain('ETag');
});

test('an origin not listed gets no CORS permission', async () => {
  const res = await t.anonymous.get('/v1/incidents').set('origin', 'https://elsewhere.example');
  expect(res.status).toBe(200);
  expect(res.headers['access-control-allow-origin']).toBeUndefined();
});
