/**
 * A typed client for the Corroborate API: openapi-fetch over the types generated from the OpenAPI document
 * (schema.d.ts), so every path, parameter, body and response below is checked by the compiler.
 *
 * Run the demonstration (reads only; with --write it also records a claim):
 *
 *   CORROBORATE_URL=http://localhost:3000 CORROBORATE_KEY=cbk_… npx tsx examples/client/client.ts [--write]
 */
import { randomUUID } from 'node:crypto';
import createClient from 'openapi-fetch';
import type { components, operations, paths } from './schema';

export type Incident = components['schemas']['Incident'];
export type Claim = components['schemas']['Claim'];
export type ClaimCreate = components['schemas']['ClaimCreateInput'];
export type Casualties = Incident['casualties'];
export type Problem = components['schemas']['Problem'];
/** The incident filters of GET /v1/incidents, without paging (followed here) or sparse fields (partial records). */
export type IncidentFilters = Omit<
  NonNullable<operations['listIncidents']['parameters']['query']>,
  'cursor' | 'fields' | 'format'
>;

/** An answer other than success: the RFC 9457 problem the API sent. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** Where the API is, e.g. http://localhost:3000. */
  baseUrl: string;
  /** An API key (cbk_…); without one the client reads anonymously, where the server allows it. */
  apiKey?: string | undefined;
  /** How many times in all a request refused with 429 or 503 is sent before its answer is returned. */
  attempts?: number;
}

export function createCorroborateClient({ baseUrl, apiKey, attempts = 6 }: ClientOptions) {
  // Success bodies are JSON and error bodies problem+json; other media types (CSV, NDJSON) are not asked for here.
  return createClient<paths, 'application/json' | 'application/problem+json'>({
    baseUrl,
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    fetch: retryingFetch(attempts),
  });
}

export type CorroborateClient = ReturnType<typeof createCorroborateClient>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long to wait before another attempt: the server's Retry-After when given, else exponential backoff. */
function retryDelay(response: Response, attempt: number): number {
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  // 0.5 s, 1 s, 2 s … up to 30 s, with jitter so that many clients do not come back in step.
  return Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}

/**
 * A fetch that tries again when the server did not do the work: 429 (over the rate limit) always; 503 (the
 * database is unreachable or the server is shutting down) only when repeating cannot write twice, that is for
 * GET, HEAD and DELETE, and for a POST carrying an Idempotency-Key, whose repeat returns the first response.
 */
export function retryingFetch(attempts: number) {
  return async (request: Request): Promise<Response> => {
    const repeatable =
      ['GET', 'HEAD', 'DELETE'].includes(request.method) || request.headers.has('idempotency-key');
    for (let attempt = 1; ; attempt++) {
      // A Request body can be read once: send a copy so the original stays available for the next attempt.
      const response = await fetch(request.clone());
      const retry = response.status === 429 || (response.status === 503 && repeatable);
      if (!retry || attempt >= attempts) return response;
      await response.body?.cancel();
      await sleep(retryDelay(response, attempt));
    }
  };
}

/** Every incident matching the filters, page after page: follows next_cursor until it is null. */
export async function* listIncidents(
  client: CorroborateClient,
  filters: IncidentFilters = {},
): AsyncGenerator<Incident> {
  let cursor: string | undefined;
  do {
    const { data, error } = await client.GET('/v1/incidents', {
      params: { query: { ...filters, cursor } },
    });
    if (error) throw new ApiError(error);
    yield* data.data;
    cursor = data.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

/** An incident's casualty estimates (low, best, high per figure, and the claims that set them). */
export async function readCasualties(client: CorroborateClient, incidentId: string): Promise<Casualties> {
  const { data, error } = await client.GET('/v1/incidents/{id}', { params: { path: { id: incidentId } } });
  if (error) throw new ApiError(error);
  return data.casualties;
}

/**
 * Records a claim. Pass the same idempotency key when retrying after a lost answer (a timeout, a dropped
 * connection): the server then returns the claim it stored the first time instead of storing a second one.
 */
export async function createClaim(
  client: CorroborateClient,
  claim: ClaimCreate,
  idempotencyKey: string = randomUUID(),
): Promise<{ claim: Claim; replayed: boolean }> {
  const { data, error, response } = await client.POST('/v1/claims', {
    params: { header: { 'idempotency-key': idempotencyKey } },
    body: claim,
  });
  if (error) throw new ApiError(error);
  return { claim: data, replayed: response.headers.get('idempotent-replayed') === 'true' };
}

const print = (line: string) => process.stdout.write(`${line}\n`);

function describeKilled(casualties: Casualties): string {
  const killed = casualties.killed;
  if (!killed) return 'no figure';
  return `${killed.best} killed (${killed.low}–${killed.high}, from ${killed.claims} claims)`;
}

async function demonstrate(write: boolean) {
  const client = createCorroborateClient({
    baseUrl: process.env.CORROBORATE_URL ?? 'http://localhost:3000',
    apiKey: process.env.CORROBORATE_KEY,
  });

  // Corroborated or verified incidents in Syria, newest first; two per page, to show the paging.
  const found: Incident[] = [];
  for await (const incident of listIncidents(client, {
    country: 'SYR',
    status: ['corroborated', 'verified'],
    sort: '-occurred_from',
    limit: 2,
  })) {
    found.push(incident);
    print(`${incident.ref} [${incident.status}] ${incident.title}: ${describeKilled(incident.casualties)}`);
  }
  print(`${found.length} corroborated or verified incident(s)`);
  if (!write) return;

  const incident = found[0];
  const { data: sources, error } = await client.GET('/v1/sources', { params: { query: { limit: 1 } } });
  if (error) throw new ApiError(error);
  const source = sources.data[0];
  if (!incident || !source) throw new Error('--write needs at least one such incident and one source');

  const claim: ClaimCreate = {
    incident_id: incident.id,
    source_id: source.id,
    stance: 'supports',
    statement: 'Recorded by the typed client example.',
    killed: 1,
    figures_are_minimum: true,
  };
  const key = randomUUID();
  const first = await createClaim(client, claim, key);
  // The same request again, as after a lost answer: the stored claim comes back and nothing new is written.
  const retry = await createClaim(client, claim, key);
  if (retry.claim.id !== first.claim.id || !retry.replayed) {
    throw new Error('a retried POST with the same Idempotency-Key made a second claim');
  }
  print(`claim ${first.claim.id} recorded (pending review); its retry was answered from the first response`);
  // A pending claim does not count towards the figures until a verifier accepts it.
  print(`${incident.ref}: ${describeKilled(await readCasualties(client, incident.id))}`);
}

if (require.main === module) {
  demonstrate(process.argv.includes('--write')).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
