import path from 'node:path';
import { loadContract, operationsOf, schemaValidators, type Schema } from '../fuzz/contract';

/**
 * The interactive docs show an example for every body: each request body and each response body of every
 * operation carries one, on its media type, and each is valid under the schema it illustrates (so the docs
 * never show a body the API would refuse or could not send).
 */
const contract = loadContract(path.resolve(__dirname, '../../openapi/openapi.json'));
const operations = operationsOf(contract);
const validators = schemaValidators(contract);

type Media = { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> };

function bodies() {
  return operations.flatMap((operation) => {
    const name = `${operation.method.toUpperCase()} ${operation.path}`;
    const request = Object.entries((operation.requestBody?.content ?? {}) as Record<string, Media>).map(
      ([mediaType, media]) => ({ where: `${name} request ${mediaType}`, media }),
    );
    const responses = Object.entries(operation.responses).flatMap(([status, response]) =>
      Object.entries((response.content ?? {}) as Record<string, Media>).map(([mediaType, media]) => ({
        where: `${name} ${status} ${mediaType}`,
        media,
      })),
    );
    return [...request, ...responses];
  });
}

test('every request and response body of every operation has an example', () => {
  const all = bodies();
  expect(all.length).toBeGreaterThan(200);
  const missing = all.filter(({ media }) => media.example === undefined && media.examples === undefined);
  expect(missing.map((b) => b.where)).toEqual([]);
});

test('every example is valid under its schema', () => {
  const invalid = bodies().flatMap(({ where, media }) => {
    const errors = validators.errors(where, media.schema ?? true, media.example);
    return errors.length ? [`${where}: ${validators.describe(errors)}`] : [];
  });
  expect(invalid).toEqual([]);
});

test('examples are the demo report, not placeholders', () => {
  const text = JSON.stringify(contract.paths);
  expect(text).toContain('Syrian Network for Human Rights');
  expect(text).toContain('al-Mukhtariya');
  expect(text).not.toMatch(/"example":"string"/);
});

test('every operation documents a client error (4XX)', () => {
  const without = operations.filter((o) => !Object.keys(o.responses).some((s) => /^4\d\d$/.test(s)));
  expect(without.map((o) => `${o.method.toUpperCase()} ${o.path}`)).toEqual([]);
});
