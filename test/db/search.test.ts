import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client';
import { searchQuery } from '../../src/db/search';
import { normaliseArabic } from '../../src/domain/arabic';
import { createTestApp, type TestApp } from '../helpers/app';
import { createClaim, createIncident, createSource } from '../helpers/factories';

/** q reads Arabic and English as people write them, from the full-text index, exact matches first. */

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const search = async (q: string, extra = '') =>
  (await t.http.get(`/v1/incidents?q=${encodeURIComponent(q)}${extra}`).expect(200)).body.data.map(
    (i: { title: string }) => i.title,
  );

test('the database normalises Arabic exactly as src/domain does', async () => {
  const chars = 'ابتجحدرسعفقكلمنهويأإآٱؤئىة\u064E\u064F\u0650\u0651\u0652\u0640 الوالبالللab'.split('');
  const samples = fc.sample(
    fc.array(fc.constantFrom(...chars), { maxLength: 24 }).map((c) => c.join('')),
    { numRuns: 400, seed: 20261206 },
  );
  const rows = await queryRows<{ n: string }>(
    t.database.db,
    sql`SELECT corroborate_normalise_arabic(s) AS n FROM json_array_elements_text(${JSON.stringify(samples)}::json) WITH ORDINALITY AS x(s, i) ORDER BY i`,
  );
  expect(rows.map((r) => r.n)).toEqual(samples.map(normaliseArabic));
});

describe('q on incidents', () => {
  beforeAll(async () => {
    await createIncident(t.http, { title: 'Field executions in al-Mukhtariya', place: 'المختارية' });
    await createIncident(t.http, { title: 'مجزرة في قرية المختارية', summary: 'إعدام أربعين مدنياً' });
    await createIncident(t.http, { title: 'Shelling of the hospital', place: 'مستشفى الأمل' });
    await createIncident(t.http, { title: 'An execution at the checkpoint' });
    await createIncident(t.http, { title: 'Executions reported near the port' });
  });

  test.each([
    ['مختاريه', ['Field executions in al-Mukhtariya', 'مجزرة في قرية المختارية']],
    ['المختارية', ['Field executions in al-Mukhtariya', 'مجزرة في قرية المختارية']],
    ['والمختارية', ['Field executions in al-Mukhtariya', 'مجزرة في قرية المختارية']],
    ['مُخْتارِيَة', ['Field executions in al-Mukhtariya', 'مجزرة في قرية المختارية']],
    ['اعدام', ['مجزرة في قرية المختارية']],
    ['مستشفي', ['Shelling of the hospital']],
    ['المستشفى', ['Shelling of the hospital']],
  ])('the Arabic %s finds its variants', async (q, titles) => {
    expect((await search(q, '&sort=created_at')).sort()).toEqual([...titles].sort());
  });

  test('English inflections do not hide a match, and the exact word ranks first', async () => {
    expect((await search('execution'))[0]).toBe('An execution at the checkpoint');
    expect((await search('execution')).sort()).toEqual(
      [
        'An execution at the checkpoint',
        'Executions reported near the port',
        'Field executions in al-Mukhtariya',
      ].sort(),
    );
    const plural = await search('executions');
    expect(plural).toHaveLength(3);
    expect(plural.at(-1)).toBe('An execution at the checkpoint');
  });

  test('a claim statement is searched the same way', async () => {
    const incident = await createIncident(t.http, { title: 'Killings on the coast road' });
    const source = await createSource(t.http, { name: 'Monitor' });
    await createClaim(t.http, incident.id, source.id, { statement: 'قُتِل أربعون مدنياً في المختارية' });
    expect(await search('مختاريه', '&sort=created_at')).toContain('Killings on the coast road');
  });
});

test('the search is answered from the full-text index', async () => {
  const plans = await queryRows<{ 'QUERY PLAN': string }>(
    t.database.db,
    sql`EXPLAIN SELECT id FROM incidents WHERE search_vector @@ ${searchQuery('المختارية executions')}`,
  ).catch(() => []);
  // The planner may scan a small table instead; with scans discouraged, the index must be able to answer.
  await t.database.db.transaction(async (tx) => {
    await tx.execute(sql`SET LOCAL enable_seqscan = off`);
    const plan = await queryRows<Record<string, string>>(
      tx,
      sql`EXPLAIN SELECT id FROM incidents WHERE search_vector @@ ${searchQuery('المختارية executions')}`,
    );
    expect(plan.map((r) => Object.values(r)[0]).join('\n')).toMatch(/incidents_search_idx/);
  });
  expect(plans.length).toBeGreaterThan(0);
});
