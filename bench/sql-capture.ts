/**
 * Records the SQL one request makes the app send, and turns it into a replay plan for the bare handler
 * (bare-handler.ts): the same statements, with the same parameters, in the same order and with the same
 * concurrency, so that the bare handler's figures are the ceiling of exactly that request.
 */
import pg from 'pg';

/** One statement as pg receives it: text, parameters and the options that change how it runs. */
export interface PlannedStatement {
  text: string;
  values: unknown[];
  /** Named (prepared) statements are replayed under the same name, so they are prepared the same way. */
  name?: string;
  rowMode?: 'array';
}

/** A link from a value the database generated (e.g. a RETURNING id) to the later statements that reuse it. */
export interface ResultLink {
  token: string;
  statement: number;
  row: number;
  column: string | number;
}

export interface ReplayPlan {
  statements: PlannedStatement[];
  /** Statement indexes, batch by batch: the statements of a batch were in flight together in the app. */
  batches: number[][];
  /**
   * Values that came from the request (an id in the path, an Idempotency-Key): a bare request passes its own
   * value for inputs[i] as the query parameter `in<i>`, and it replaces the recorded one in every statement.
   */
  inputs: string[];
  links: ResultLink[];
}

interface Recorded extends PlannedStatement {
  started: number;
  ended: number;
  rows: unknown[];
  error?: string;
}

type QueryConfig = { text: string; values?: unknown[]; name?: string; rowMode?: string; submit?: unknown };
type Callback = (err: Error | null, result?: pg.QueryResult) => void;

let recording: Recorded[] | null = null;

/** Wraps pg.Client#query in this process once; it records only while `record` runs. */
function installRecorder() {
  const proto = pg.Client.prototype as unknown as {
    query: (config: unknown, values?: unknown, callback?: unknown) => unknown;
    __sqlCapture?: boolean;
  };
  if (proto.__sqlCapture) return;
  const original = proto.query;
  proto.query = function recorded(this: unknown, config: unknown, values?: unknown, callback?: unknown) {
    const cfg: QueryConfig | undefined =
      typeof config === 'string'
        ? { text: config }
        : config && typeof config === 'object' && 'text' in config
          ? (config as QueryConfig)
          : undefined;
    // Streams and cursors (exports) have their own protocol: they are not replayed.
    if (!recording || !cfg || typeof cfg.submit === 'function') {
      return original.call(this, config, values, callback);
    }
    const entry: Recorded = {
      text: cfg.text,
      values: Array.isArray(values) ? values : (cfg.values ?? []),
      ...(cfg.name ? { name: cfg.name } : {}),
      ...(cfg.rowMode === 'array' ? { rowMode: 'array' as const } : {}),
      started: performance.now(),
      ended: Number.NaN,
      rows: [],
    };
    recording.push(entry);
    const done = (err: Error | null, result?: pg.QueryResult) => {
      entry.ended = performance.now();
      entry.rows = result?.rows ?? [];
      if (err) entry.error = err.message;
    };
    if (typeof values === 'function') {
      return original.call(this, config, (err: Error | null, result?: pg.QueryResult) => {
        done(err, result);
        (values as Callback)(err, result);
      });
    }
    if (typeof callback === 'function') {
      return original.call(this, config, values, (err: Error | null, result?: pg.QueryResult) => {
        done(err, result);
        (callback as Callback)(err, result);
      });
    }
    return (original.call(this, config, values) as Promise<pg.QueryResult>).then(
      (result) => {
        done(null, result);
        return result;
      },
      (err: Error) => {
        done(err);
        throw err;
      },
    );
  };
  proto.__sqlCapture = true;
}

/** Runs `request` while recording every statement any pg client in this process sends. */
export async function record<T>(request: () => Promise<T>): Promise<{ result: T; statements: Recorded[] }> {
  installRecorder();
  if (recording) throw new Error('one recording at a time');
  recording = [];
  try {
    const result = await request();
    return { result, statements: recording };
  } finally {
    recording = null;
  }
}

const stringsIn = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(stringsIn)
      : value && typeof value === 'object' && !(value instanceof Date)
        ? [JSON.stringify(value)]
        : [];

/**
 * The plan of a recorded request. `inputs` are the request's own values (they must appear in the SQL, or the
 * replay could not vary them). A generated value is linked when it is long enough to be unambiguous (ids,
 * keys) and a later statement reuses it.
 */
export function planOf(statements: Recorded[], inputs: string[]): ReplayPlan {
  const failed = statements.find((s) => s.error);
  if (failed)
    throw new Error(`the recorded request had a failing statement: ${failed.error}\n${failed.text}`);
  // Plans travel to the bare handler as JSON, which would turn a binary parameter into something else.
  if (statements.some((s) => s.values.some((v) => Buffer.isBuffer(v)))) {
    throw new Error('a statement has a binary parameter, which a replay plan cannot carry');
  }
  const everything = statements.flatMap((s) => s.values.flatMap(stringsIn)).join('\n');
  for (const input of inputs) {
    if (!everything.includes(input))
      throw new Error(`the request value ${input} is in none of its statements`);
  }

  const links: ResultLink[] = [];
  const linked = new Set(inputs);
  statements.forEach((s, index) => {
    const later = statements
      .slice(index + 1)
      .flatMap((l) => l.values.flatMap(stringsIn))
      .join('\n');
    s.rows.forEach((row, r) => {
      const cells: [string | number, unknown][] = Array.isArray(row)
        ? row.map((v, c) => [c, v])
        : Object.entries(row as Record<string, unknown>);
      for (const [column, value] of cells) {
        if (typeof value !== 'string' || value.length < 16 || linked.has(value) || !later.includes(value)) {
          continue;
        }
        linked.add(value);
        links.push({ token: value, statement: index, row: r, column });
      }
    });
  });

  // A statement sent before any statement of the current batch answered did not wait for them.
  const batches: number[][] = [];
  let batchEnds = Number.POSITIVE_INFINITY;
  statements.forEach((s, index) => {
    const current = batches[batches.length - 1];
    if (current && s.started < batchEnds) {
      current.push(index);
      batchEnds = Math.min(batchEnds, s.ended);
    } else {
      batches.push([index]);
      batchEnds = s.ended;
    }
  });

  return {
    statements: statements.map(({ text, values, name, rowMode }) => ({
      text,
      values,
      ...(name ? { name } : {}),
      ...(rowMode ? { rowMode } : {}),
    })),
    batches,
    inputs,
    links,
  };
}

/** Replaces every recorded token with its value for this request, inside strings and JSON parameters. */
export function substitute(value: unknown, tokens: Map<string, string>): unknown {
  if (tokens.size === 0 || value === null || value === undefined) return value;
  if (typeof value === 'string') {
    let out = value;
    for (const [token, replacement] of tokens) {
      if (out.includes(token)) out = out.replaceAll(token, replacement);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, tokens));
  // pg sends an object parameter as its JSON text: substituting in that text sends the same bytes.
  if (typeof value === 'object' && !(value instanceof Date)) return substitute(JSON.stringify(value), tokens);
  return value;
}
