import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Everything it has written so far, standard output and error together. */
  output(): string;
  /** Resolves once its output matches, e.g. a log line; rejects if it exits first. */
  waitForOutput(pattern: RegExp, withinMs?: number): Promise<void>;
  /** Resolves with the exit code once it has exited and its output is read. */
  exited: Promise<number | null>;
}

/** How long the server may take to start listening. */
export const STARTUP_MS = 120_000;

/** Starts the real server entry point as a process and resolves once it listens. */
export async function startServerProcess(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../src/server.ts')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DEMO_DATA: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const watchers = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of watchers) watcher();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

  const waitForOutput = (pattern: RegExp, withinMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const settle = (failure?: Error) => {
        clearTimeout(timer);
        watchers.delete(check);
        if (failure) reject(failure);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new Error(`no output matching ${pattern} within ${withinMs} ms:\n${output}`)),
        withinMs,
      );
      function check() {
        if (pattern.test(output)) settle();
      }
      watchers.add(check);
      check();
      void exited.then((code) => {
        if (watchers.has(check)) settle(new Error(`server exited with ${code}:\n${output}`));
      });
    });

  const listening = /listening at http:\/\/127\.0\.0\.1:(\d+)/;
  // Compiling the sources and opening the database take a while on a busy machine.
  await waitForOutput(listening, STARTUP_MS);
  return { child, port: Number(listening.exec(output)![1]), output: () => output, waitForOutput, exited };
}
