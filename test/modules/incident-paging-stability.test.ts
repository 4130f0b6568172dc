import { createTestApp, type TestApp } from '../helpers/app';
import { createClaim, createIncident, createSource } from '../helpers/factories';

/**
 * Keyset paging while another client writes: records are created and deleted between (and during) page
 * requests. Whatever happens, no record is returned twice, every record that existed before the first page and
 * still exists after the last is returned, and nothing deleted before a page was asked for is on it.
 */

let t: TestApp;
let sourceId: string;

beforeAll(async () => {
  t = await createTestApp();
  sourceId = (await createSource(t.http, { reliability: 'B' })).id;
});
afterAll(() => t.close());

/** A small seeded generator (mulberry32), so a failure replays with the same writes. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DATES = ['2025-03-01', '2025-03-06', '2025-03-07', '2025-03-08', '2025-04-01'];
const TITLE_WORDS = ['shelling', 'market', 'clinic', 'road', 'village', 'night'];

interface Session {
  tag: string;
  rng: () => number;
  live: Set<string>;
  /** When each record was deleted: the number of pages read before the delete was sent. */
  deletedAfterPage: Map<string, number>;
  inserted: Set<string>;
  country: Map<string, string>;
  /** Records with a live claim cannot be deleted (and deleting the claim would move killed, a sort key). */
  withClaim: Set<string>;
}

/** A record of the session: a few title words and the search word, one of a few dates (ties on purpose). */
function incidentOf(s: Session) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(s.rng() * xs.length)]!;
  const words = Array.from({ length: 1 + Math.floor(s.rng() * 4) }, () => pick(TITLE_WORDS));
  return {
    title: ['lighthouse', ...words].join(' '),
    occurred_from: pick(DATES),
    country: pick(['SYR', 'LBN']),
    tags: [s.tag],
  };
}

async function insert(s: Session) {
  const incident = await createIncident(t.http, incidentOf(s));
  s.live.add(incident.id);
  s.inserted.add(incident.id);
  s.country.set(incident.id, incident.country);
}

async function removeOne(s: Session, pagesRead: number) {
  const ids = [...s.live].filter((id) => !s.withClaim.has(id)).sort();
  if (ids.length === 0) return;
  const id = ids[Math.floor(s.rng() * ids.length)]!;
  s.live.delete(id);
  await t.http.delete(`/v1/incidents/${id}`).expect(204);
  s.deletedAfterPage.set(id, pagesRead);
}

/** Starts a session: records of its own (by tag), some with an accepted claim so killed varies. */
async function startSession(tag: string, seed: number, size: number): Promise<Session> {
  const s: Session = {
    tag,
    rng: random(seed),
    live: new Set(),
    deletedAfterPage: new Map(),
    inserted: new Set(),
    country: new Map(),
    withClaim: new Set(),
  };
  for (let i = 0; i < size; i++) {
    const incident = await createIncident(t.http, incidentOf(s));
    s.live.add(incident.id);
    s.country.set(incident.id, incident.country);
    if (s.rng() < 0.6) {
      // Killed figures with ties, so the id decides between equals.
      await createClaim(t.http, incident.id, sourceId, {
        review_status: 'accepted',
        killed: [0, 5, 5, 40][Math.floor(s.rng() * 4)],
      });
      s.withClaim.add(incident.id);
    }
  }
  return s;
}

/**
 * Pages through `query` with a small limit; between pages (and, on odd pages, while the page is being read) two
 * records are created and one is deleted. Claims are never added to new records: killed, a sort key, stays put.
 */
async function pageWhileWriting(
  s: Session,
  query: string,
  limit: number,
  matches: (id: string) => boolean = () => true,
) {
  const atStart = new Set([...s.live].filter(matches));
  const returned: string[] = [];
  const pageOf = new Map<string, number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const writes = async () => {
      await insert(s);
      await removeOne(s, pages);
      await insert(s);
    };
    const url: string = `/v1/incidents?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    let res;
    if (pages % 2 === 1) {
      // Concurrently: the page may or may not see these writes, but the rules above still hold.
      [res] = await Promise.all([t.http.get(url), writes()]);
    } else {
      await writes();
      res = await t.http.get(url);
    }
    expect(res.status).toBe(200);
    for (const item of res.body.data as { id: string }[]) {
      returned.push(item.id);
      pageOf.set(item.id, pages);
    }
    cursor = res.body.next_cursor;
    pages++;
    if (pages > 200) throw new Error('paging never ends');
  } while (cursor);

  // No duplicates at all.
  expect(returned.length).toBe(new Set(returned).size);
  // Nothing from elsewhere: only the session's records that match the filter.
  for (const id of returned) expect((atStart.has(id) || s.inserted.has(id)) && matches(id)).toBe(true);
  // Every record there from start to end, exactly once.
  const survivors = [...atStart].filter((id) => s.live.has(id)).sort();
  expect(survivors.filter((id) => !pageOf.has(id))).toEqual([]);
  // A record deleted before a page was asked for (not while) is on no later page. Deleted when `after` pages
  // had been read: before page `after` was asked for when it is even, while it was being read when odd.
  for (const [id, after] of s.deletedAfterPage) {
    const page = pageOf.get(id);
    if (page !== undefined) expect(page < after || (after % 2 === 1 && page === after)).toBe(true);
  }
  return { returned, pages };
}

const SORTS = [
  'occurred_from',
  '-occurred_from',
  'created_at',
  '-created_at',
  'updated_at',
  '-updated_at',
  'killed',
  '-killed',
] as const;

describe.each(SORTS)('sort=%s', (sort) => {
  test('every surviving record exactly once while records are created and deleted', async () => {
    const seed = 1000 + SORTS.indexOf(sort);
    const s = await startSession(`paging ${sort}`, seed, 16);
    const { returned, pages } = await pageWhileWriting(s, `tag=${encodeURIComponent(s.tag)}&sort=${sort}`, 3);
    // The writes really happened in between: three per page, and records there at the start were deleted.
    expect(s.inserted.size).toBe(2 * pages);
    expect(s.deletedAfterPage.size).toBe(pages);
    expect(returned.length).toBeGreaterThan(10);
  });
});

test('relevance order (q) is stable under the same writes', async () => {
  const s = await startSession('paging relevance', 2000, 16);
  const { returned } = await pageWhileWriting(s, `tag=${encodeURIComponent(s.tag)}&q=lighthouse`, 3);
  expect(returned.length).toBeGreaterThan(10);
});

test('with a filter only matching records are returned, every surviving match exactly once', async () => {
  const s = await startSession('paging filtered', 3000, 20);
  const syrian = (id: string) => s.country.get(id) === 'SYR';
  const { returned } = await pageWhileWriting(
    s,
    `tag=${encodeURIComponent(s.tag)}&country=SYR&sort=-occurred_from`,
    3,
    syrian,
  );
  expect(returned.length).toBeGreaterThan(6);
  // Both countries were written, so the filter had something to leave out.
  expect([...s.country.values()].filter((c) => c !== 'SYR').length).toBeGreaterThan(6);
});
