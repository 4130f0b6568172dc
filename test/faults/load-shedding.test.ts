import { createTestApp, type TestApp } from '../helpers/app';
import { serverUrl } from '../helpers/database';
import { expectProblem } from '../helpers/factories';

// The event loop's mean delay above which the app sheds requests, far above what a test run shows otherwise.
const MAX_DELAY_MS = 200;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ MAX_EVENT_LOOP_DELAY_MS: String(MAX_DELAY_MS) });
});
afterAll(() => t.close());

// On PGlite the queries themselves hold the event loop, so the app sheds nothing there.
const onServer = serverUrl ? test : test.skip;
const onPglite = serverUrl ? test.skip : test;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Repeats a request until it answers with `status` (the pressure is sampled about once a second). */
async function statusWhen<R extends { status: number }>(
  what: string,
  request: () => PromiseLike<R>,
  status: number,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await request();
    if (res.status === status) return res;
    if (Date.now() > deadline) throw new Error(`${what}: still ${res.status} after 10 s`);
    await sleep(100);
  }
}

/** Keeps the event loop busy for most of every turn, as a burst of CPU-bound work would. */
function overload(): () => void {
  const busyFor = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const timer = setInterval(() => busyFor(2 * MAX_DELAY_MS), 1);
  return () => clearInterval(timer);
}

onServer(
  'an overloaded process answers 503 problem+json with Retry-After, keeps liveness, and recovers',
  async () => {
    // Start from a calm process: building the app and loading modules can themselves delay the loop for a while.
    await statusWhen('before the load', () => t.anonymous.get('/v1/sources'), 200);

    const relieve = overload();
    try {
      const shed = await statusWhen('under load', () => t.anonymous.get('/v1/sources'), 503);
      expectProblem(shed, {
        type: '/problems/unavailable',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The server is overloaded; retry shortly.',
      });
      expect(shed.headers['retry-after']).toBe('5');
      expect(t.app.isUnderPressure()).toBe(true);

      // Readiness says so too, so that a balancer sends traffic elsewhere; liveness does not, so that nothing
      // restarts a process that is only busy.
      const ready = await t.anonymous.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        type: '/problems/unavailable',
        detail: 'The server is overloaded; retry shortly.',
      });
      await t.anonymous.get('/healthz').expect(200, { status: 'ok' });
    } finally {
      relieve();
    }

    // Recovered: requests are served again (the pressure is resampled each second, so a single reading of
    // isUnderPressure() here could still catch a late sample of a busy machine).
    await statusWhen('after the load', () => t.anonymous.get('/v1/sources'), 200);
  },
);

onPglite('with the embedded database the same delay sheds nothing', async () => {
  const relieve = overload();
  try {
    // Long enough for several samples of the delay to be taken.
    await sleep(2500);
    expect(t.app.isUnderPressure()).toBe(false);
    await t.anonymous.get('/v1/sources').expect(200);
  } finally {
    relieve();
  }
});
