import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The embedded database's files may be opened by one process at a time: PGlite has no locking of its own, and two
 * processes writing one data directory corrupt it. Whoever opens the directory (the server, `npm run keys`,
 * `npm run migrate`) first takes this lock: a file in the directory naming its process. A lock whose process is
 * gone (killed, crashed) is stale and taken over.
 */
export const LOCK_FILE = 'corroborate.lock';

export interface LockHolder {
  pid: number;
  /** What holds it: the server, or a command such as keys or migrate. */
  command: string;
  started_at: string;
  /** Where the holding server answers, once it listens. */
  url?: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The embedded database in ${dataDir} is in use by process ${holder.pid} (${holder.command}${holder.url ? ` at ${holder.url}` : ''}); two processes on one data directory would corrupt it. Stop that process first, or use the running server's API.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  /** Records where the holding server answers, so that other commands can use its API instead. */
  setUrl(url: string): void;
  release(): void;
}

const lockPath = (dataDir: string) => path.join(dataDir, LOCK_FILE);

/** Whether a process with this id is running (on this machine). */
function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined;
  }
}

/** The running process that holds the directory's lock, if any (a stale lock counts as none). */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(lockPath(dataDir));
  return holder && isRunning(holder.pid) ? holder : undefined;
}

/**
 * Takes the directory's lock for this process, or throws `DataDirInUseError` naming the process that has it. The
 * lock is written whole to a file of its own and linked into place, so a reader never sees half of it, and the
 * link fails when another process got there first.
 */
export function acquireDataDirLock(dataDir: string, command: string): DataDirLock {
  const file = lockPath(dataDir);
  let holder: LockHolder = { pid: process.pid, command, started_at: new Date().toISOString() };
  const write = (target: string) => {
    const fd = openSync(target, 'wx');
    try {
      writeFileSync(fd, `${JSON.stringify(holder)}\n`);
    } finally {
      closeSync(fd);
    }
  };
  const draft = `${file}.${process.pid}`;
  for (let attempt = 0; ; attempt++) {
    try {
      unlinkSync(draft);
    } catch {
      // No draft left over.
    }
    write(draft);
    try {
      linkSync(draft, file);
      unlinkSync(draft);
      break;
    } catch (err) {
      unlinkSync(draft);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw err;
    }
    const current = readHolder(file);
    if (current && (isRunning(current.pid) || current.pid === process.pid)) {
      throw new DataDirInUseError(dataDir, current);
    }
    // Stale (its process is gone) or unreadable: moved aside, then taken. Should another process have taken
    // it meanwhile, what was moved is not the stale lock: it goes back, and that process has the directory.
    const aside = `${file}.stale.${process.pid}`;
    try {
      renameSync(file, aside);
    } catch {
      continue;
    }
    const moved = readHolder(aside);
    if (moved && isRunning(moved.pid)) {
      renameSync(aside, file);
      throw new DataDirInUseError(dataDir, moved);
    }
    unlinkSync(aside);
  }

  const release = () => {
    process.off('exit', release);
    if (readHolder(file)?.pid === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // Already gone.
      }
    }
  };
  // A process that exits without closing its database (process.exit) still gives the directory back.
  process.on('exit', release);
  return {
    setUrl(url) {
      holder = { ...holder, url };
      // Written aside and renamed over the lock, so that a reader sees the old content or the new, whole.
      const next = `${file}.${process.pid}`;
      write(next);
      renameSync(next, file);
    },
    release,
  };
}
