import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { createSerializerCompiler } from '../../src/http/serializer';
import { incidentPageSchema, incidentSchema } from '../../src/modules/incidents/incident-schemas';
import { problemSchema } from '../../src/http/problems';

/**
 * Responses are written by fast-json-stringify compiled from the zod schemas. It must write exactly what zod's
 * own serialisation writes (the same values, only the documented fields), and under test a response that does
 * not match its schema must fail rather than be coerced.
 */

const estimate = (low: number, best: number, high: number) => ({
  low,
  best,
  high,
  claims: 2,
  low_claim_id: '5b1f0a4e-0d7c-4a55-9d1e-0c6a4f1b2c31',
  best_claim_id: '5b1f0a4e-0d7c-4a55-9d1e-0c6a4f1b2c32',
  high_claim_id: '5b1f0a4e-0d7c-4a55-9d1e-0c6a4f1b2c33',
});

const incident = {
  id: '0f8b1f3e-6a0b-4b1c-9a51-2f4f2a6b7c01',
  ref: 'SYR-2025-000001',
  title: 'Executions in al-Mukhtariya, "the square"\n\u2028 عربي',
  summary: null,
  category: 'violence_against_civilians',
  subcategory: 'mass_killing',
  occurred_from: '2025-03-07',
  occurred_to: '2025-03-08',
  date_precision: 'day',
  country: 'SYR',
  admin1: 'Latakia',
  admin2: null,
  admin3: null,
  place: 'المختارية',
  latitude: 0.000001,
  longitude: -179.99999999,
  geo_precision: 'near',
  actors: [{ name: 'Unidentified gunmen', role: 'perpetrator' }],
  tags: ['mass grave'],
  parent_id: null,
  duplicate_of: null,
  external_ids: [{ system: 'acled', id: 'SYR12345' }],
  status: 'verified',
  verification: {
    status: 'verified',
    rationale: 'Site visit',
    verified_by: 'key-1',
    verified_at: '2025-03-09T10:00:00.000Z',
  },
  casualties: {
    method: 'casualties/v1',
    killed: estimate(12, 40, 40),
    killed_civilians: estimate(40, 40, 40),
    killed_combatants: null,
    injured: estimate(3, 3, 3),
    detained: null,
    missing: null,
  },
  created_at: '2025-03-08T10:00:00.123Z',
  updated_at: '2025-03-09T10:00:00.456Z',
  version: 3,
  deleted_at: null,
};

const route = (schema: unknown) => ({ schema, method: 'GET', url: '/test', httpStatus: '200' }) as never;
const fast = (schema: unknown, verify = false) => createSerializerCompiler({ verify })(route(schema));
const zod = (schema: unknown) => zodSerializerCompiler(route(schema)) as (data: unknown) => string;

test('an incident page is written with the same values as zod writes', () => {
  const page = { data: [incident, { ...incident, verification: null, latitude: null }], next_cursor: 'abc' };
  expect(JSON.parse(fast(incidentPageSchema)(page))).toEqual(JSON.parse(zod(incidentPageSchema)(page)));
  expect(JSON.parse(fast(incidentPageSchema)(page))).toEqual(page);
});

test('fields a schema does not document are not written', () => {
  const written = JSON.parse(
    fast(incidentSchema)({ ...incident, search_vector: "'secret':1", created_by: 'x' }),
  );
  expect(written).toEqual(incident);
  expect(written).not.toHaveProperty('search_vector');
});

test('problem bodies keep their members', () => {
  const problem = {
    type: '/problems/validation',
    title: 'Bad Request',
    status: 400,
    detail: 'The request is invalid.',
    instance: '/v1/incidents',
    errors: [{ path: 'query.limit', message: 'must be at most 1000' }],
  };
  expect(JSON.parse(fast(problemSchema)(problem))).toEqual(JSON.parse(zod(problemSchema)(problem)));
});

test('under test, a response that does not match its schema throws instead of being coerced', () => {
  const broken = { ...incident, title: null };
  expect(() => fast(incidentSchema, true)(broken)).toThrow();
  // Without the check fast-json-stringify coerces null to "": that is why the suite runs with the check.
  expect(JSON.parse(fast(incidentSchema, false)(broken)).title).toBe('');
});
