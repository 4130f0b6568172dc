/**
 * Mirrors the Corroborate database into a local NDJSON file through the change feed (GET /v1/changes), and picks
 * up where it stopped on the next run.
 *
 *   CORROBORATE_URL=http://localhost:3000 CORROBORATE_KEY=cbk_… npx tsx examples/mirror.ts [mirror.ndjson]
 *
 * For an output file `mirror.ndjson` (the default), three files:
 *
 *   mirror.ndjson             the snapshot: one line per live record, {"resource_type", "id", "version", "record"},
 *                             in no particular order; deleted records are not in it
 *   mirror.ndjson.log         the feed entries received since the snapshot was last brought up to date
 *   mirror.ndjson.state.json  {"after", "log_bytes"}: the feed cursor reached, and the length of the log up to it
 *
 * Each page of the feed is appended to the log and flushed to disk before the state file is replaced (written to
 * a temporary file, flushed, renamed over the old one), so the state never claims more than the disk holds. After
 * a crash the next run cuts the log back to `log_bytes` and asks the feed again from `after`: nothing is lost or
 * counted twice. Once the feed is drained the log is folded into the snapshot, which is rewritten the same way.
 * Folding holds the log's records in memory (the snapshot is streamed): the first run, whose log is the whole
 * database, needs memory in proportion to it.
 *
 * The feed shows protected sources as the key's role may see them: below contributor, redacted.
 * The last line printed is a summary: {"started_after", "changes", "after", "records"}.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ApiError, createCorroborateClient, type CorroborateClient } from './client/client';
import type { components } from './client/schema';

type Change = components['schemas']['Change'];

/** One line of the snapshot. */
interface MirroredRecord {
  resource_type: Change['resource_type'];
  id: string;
  version: number;
  record: Change['state'];
}

interface MirrorState {
  /** The cursor of the last feed entry in the log (or already folded into the snapshot). */
  after: string;
  /** How many bytes of the log hold the entries up to `after`; anything past it was never confirmed. */
  log_bytes: number;
}

const PAGE_SIZE = 1000;

const keyOf = (type: string, id: string) => `${type}/${id}`;

/** Replaces a file whole: a reader (or a crash) sees the old content or the new, never a mix. */
async function replaceFile(file: string, write: (handle: FileHandle) => Promise<void>) {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await write(handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  // The rename itself is durable only once the directory is flushed.
  const directory = await open(path.dirname(file), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

async function readState(file: string): Promise<MirrorState> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as MirrorState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { after: '0', log_bytes: 0 };
    throw err;
  }
}

const writeState = (file: string, state: MirrorState) =>
  replaceFile(file, async (handle) => {
    await handle.writeFile(`${JSON.stringify(state)}\n`);
  });

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Cuts off what a crash left in the log after the last confirmed page. */
async function recoverLog(logFile: string, state: MirrorState) {
  const size = (await sizeOf(logFile)) ?? 0;
  if (size < state.log_bytes) {
    throw new Error(
      `${logFile} is shorter than its state file says (${size} < ${state.log_bytes} bytes): delete the mirror's files to start over.`,
    );
  }
  if (size > state.log_bytes) await truncate(logFile, state.log_bytes);
}

async function* linesOf(file: string): AsyncGenerator<string> {
  if ((await sizeOf(file)) === undefined) return;
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line;
}

/** Follows the feed from the stored cursor until it is drained, appending each page to the log. */
async function pull(client: CorroborateClient, logFile: string, stateFile: string, state: MirrorState) {
  let received = 0;
  const log = await open(logFile, 'a');
  try {
    for (;;) {
      const { data, error } = await client.GET('/v1/changes', {
        params: { query: { after: state.after, limit: PAGE_SIZE } },
      });
      if (error) throw new ApiError(error);
      if (data.data.length > 0) {
        const lines = data.data.map((change) => `${JSON.stringify(change)}\n`).join('');
        await log.appendFile(lines);
        await log.sync();
        state = { after: data.next_cursor, log_bytes: state.log_bytes + Buffer.byteLength(lines) };
        await writeState(stateFile, state);
        received += data.data.length;
      }
      // A short page is the end of the feed for now; a full one may have more behind it.
      if (data.data.length < PAGE_SIZE) return { state, received };
    }
  } finally {
    await log.close();
  }
}

/**
 * Brings the snapshot up to date with the log: per record, the last entry in the log wins, a tombstone removes
 * it. Folding the same log twice gives the same snapshot, so a crash between the steps below is harmless.
 */
async function fold(output: string, logFile: string, stateFile: string, state: MirrorState): Promise<number> {
  const latest = new Map<string, Change>();
  for await (const line of linesOf(logFile)) {
    const change = JSON.parse(line) as Change;
    latest.set(keyOf(change.resource_type, change.resource_id), change);
  }
  let records = 0;
  if (latest.size === 0 && (await sizeOf(output)) !== undefined) {
    // Nothing new: the snapshot stays as it is.
    for await (const _line of linesOf(output)) records++;
    return records;
  }
  await replaceFile(output, async (handle) => {
    // The previous snapshot streams through, less the records the log replaces or deletes.
    for await (const line of linesOf(output)) {
      const kept = JSON.parse(line) as MirroredRecord;
      if (latest.has(keyOf(kept.resource_type, kept.id))) continue;
      await handle.appendFile(`${line}\n`);
      records++;
    }
    for (const change of latest.values()) {
      switch (change.action) {
        case 'create':
        case 'update': {
          const mirrored: MirroredRecord = {
            resource_type: change.resource_type,
            id: change.resource_id,
            version: change.version,
            record: change.state,
          };
          await handle.appendFile(`${JSON.stringify(mirrored)}\n`);
          records++;
          break;
        }
        case 'delete':
          break;
        default: {
          // A new kind of change (after regenerating the types) must be handled before this compiles again.
          const unknown: never = change.action;
          throw new Error(`unknown change action ${String(unknown)}`);
        }
      }
    }
  });
  // The snapshot now holds the log; only then is the log emptied.
  await writeState(stateFile, { after: state.after, log_bytes: 0 });
  await unlink(logFile).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  return records;
}

async function main() {
  const output = path.resolve(process.argv[2] ?? 'mirror.ndjson');
  const logFile = `${output}.log`;
  const stateFile = `${output}.state.json`;
  const client = createCorroborateClient({
    baseUrl: process.env.CORROBORATE_URL ?? 'http://localhost:3000',
    apiKey: process.env.CORROBORATE_KEY,
  });

  await mkdir(path.dirname(output), { recursive: true });
  const stored = await readState(stateFile);
  await recoverLog(logFile, stored);
  const { state, received } = await pull(client, logFile, stateFile, stored);
  const records = await fold(output, logFile, stateFile, state);
  process.stdout.write(
    `${JSON.stringify({ started_after: stored.after, changes: received, after: state.after, records })}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
