/** A closed-loop HTTP load generator: N connections, each sending its next request when the last one answered. */
import http from 'node:http';
import { percentile } from './common';

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  statuses: Record<number, number>;
  meanBytes: number;
  firstError?: string;
}

const headers: Record<string, string> = process.env.BENCH_API_KEY
  ? { authorization: `Bearer ${process.env.BENCH_API_KEY}` }
  : {};

function request(agent: http.Agent, url: string): Promise<{ status: number; bytes: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers, timeout: 120_000 }, (res) => {
      let bytes = 0;
      const keep = res.statusCode !== 200;
      let body = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (keep && body.length < 500) body += chunk.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ...(keep ? { body } : {}) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out after 120 s')));
    req.on('error', reject);
  });
}

/**
 * Runs `connections` loops against the URLs (taken in turn) for `seconds`, then returns latency percentiles.
 * A request started before the deadline is waited for; `minRequests` keeps slow scenarios from ending empty.
 */
export async function load(
  urls: string | string[],
  { connections, seconds, minRequests = 1 }: { connections: number; seconds: number; minRequests?: number },
): Promise<LoadResult> {
  const list = Array.isArray(urls) ? urls : [urls];
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let bytes = 0;
  let next = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  async function worker() {
    while (performance.now() < deadline || latencies.length + errors < minRequests) {
      const url = list[next++ % list.length]!;
      const t0 = performance.now();
      try {
        const res = await request(agent, url);
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        bytes += res.bytes;
        if (res.status !== 200) {
          errors++;
          firstError ??= `${res.status} ${url}: ${res.body}`;
        }
      } catch (err) {
        errors++;
        firstError ??= `${url}: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    errors,
    statuses,
    meanBytes: latencies.length ? bytes / latencies.length : 0,
    ...(firstError ? { firstError } : {}),
  };
}
