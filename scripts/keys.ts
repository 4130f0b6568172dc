/**
 * Operators' key tool, on the configured database (DATABASE_URL, or PGlite in DATA_DIR):
 *   npm run keys -- create --role contributor --name "Partner X"   prints the new key's secret, once
 *   npm run keys -- list                                            keys that are not revoked
 *   npm run keys -- revoke <id>
 *   npm run keys -- new                                             a fresh secret, e.g. for ADMIN_API_KEY
 *
 * The embedded database may be open in one process only: while a server has it, the command goes through that
 * server's API with an admin key (`--key cbk_…`, or CORROBORATE_KEY), or says to stop the server. `--url` sends it
 * to any running server's API.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { openDatabase, startupFailure } from '../src/db/client';
import { lockHolder } from '../src/db/data-dir-lock';
import { ROLES } from '../src/db/schema';
import { newSecret } from '../src/modules/api-keys/api-key-service';
import type { ApiKeyDto } from '../src/modules/api-keys/api-key-schemas';
import { createServices } from '../src/services';

const usage =
  'usage: npm run keys -- create --role reader|contributor|verifier|admin --name NAME | list | revoke ID | new  [--key ADMIN_KEY] [--url SERVER_URL]';

class UsageError extends Error {}

type Role = (typeof ROLES)[number];
type CreatedKey = ApiKeyDto & { secret: string };

/** What the commands need, from the database directly or from a running server's API. */
interface Keys {
  create(name: string, role: Role): Promise<CreatedKey>;
  list(): AsyncGenerator<ApiKeyDto>;
  revoke(id: string): Promise<void>;
  close(): Promise<void>;
}

async function direct(): Promise<Keys> {
  const config = loadConfig();
  const database = await openDatabase(config, 'npm run keys');
  await database.migrate();
  const keys = createServices(database.db).apiKeys;
  return {
    create: (name, role) => keys.create({ name, role }),
    async *list() {
      let cursor: string | undefined;
      do {
        const page = await keys.list({ limit: 1000, cursor });
        yield* page.data;
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    },
    revoke: (id) => keys.revoke(id),
    close: () => database.close(),
  };
}

function throughApi(url: string, key: string): Keys {
  const call = async (method: string, path: string, body?: object) => {
    const response = await fetch(new URL(path, url), {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) {
      const problem = (() => {
        try {
          return JSON.parse(text) as { detail?: string };
        } catch {
          return {};
        }
      })();
      throw new Error(`${method} ${path} at ${url}: ${response.status} ${problem.detail ?? text}`);
    }
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  return {
    create: async (name, role) => (await call('POST', '/v1/api-keys', { name, role })) as CreatedKey,
    async *list() {
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '1000', ...(cursor ? { cursor } : {}) });
        const page = (await call('GET', `/v1/api-keys?${query}`)) as {
          data: ApiKeyDto[];
          next_cursor: string | null;
        };
        yield* page.data;
        cursor = page.next_cursor;
      } while (cursor);
    },
    revoke: async (id) => {
      await call('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
    },
    close: async () => undefined,
  };
}

/** The way to the keys: a server's API when one is named or has the embedded database open, else the database. */
async function connect(options: { key?: string | undefined; url?: string | undefined }): Promise<Keys> {
  const key = options.key ?? process.env.CORROBORATE_KEY;
  if (options.url) {
    if (!key) throw new UsageError('--url needs an admin key: --key cbk_… (or CORROBORATE_KEY).');
    return throughApi(options.url, key);
  }
  const config = loadConfig();
  const holder = config.DATABASE_URL ? undefined : lockHolder(config.DATA_DIR);
  if (!holder) return direct();
  if (key && holder.url) {
    console.error(
      `The embedded database is open by the server at ${holder.url} (PID ${holder.pid}): using its API.`,
    );
    return throughApi(holder.url, key);
  }
  throw new Error(
    [
      `The embedded database in ${config.DATA_DIR} is open by process ${holder.pid} (${holder.command}${holder.url ? ` at ${holder.url}` : ''}).`,
      'Opening it from a second process could corrupt it, so this command will not. Either stop that process and run the command again,',
      holder.url
        ? 'or let the running server do it: add --key with an admin key (the one printed at its first start, or ADMIN_API_KEY).'
        : 'or wait until it has finished.',
    ].join('\n'),
  );
}

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const [command, id] = positionals;
  if (command === 'new') {
    console.log(newSecret());
    return;
  }
  if (!command || !['create', 'list', 'revoke'].includes(command)) throw new UsageError(usage);
  const role = values.role as Role;
  if (command === 'create' && (!ROLES.includes(role) || !values.name?.trim())) throw new UsageError(usage);
  if (command === 'revoke' && !id) throw new UsageError(usage);
  const keys = await connect(values);
  try {
    if (command === 'create') {
      const key = await keys.create(values.name!, role);
      console.log(`created ${key.role} key ${key.id} (${key.name})`);
      console.log(`secret (shown once, store it now): ${key.secret}`);
    } else if (command === 'list') {
      for await (const k of keys.list())
        console.log(`${k.id}  ${k.role.padEnd(11)}  ${k.prefix}…  ${k.name}`);
    } else {
      await keys.revoke(id!);
      console.log(`revoked ${id}`);
    }
  } finally {
    await keys.close();
  }
}

main().catch((err: unknown) => {
  const config = (() => {
    try {
      return loadConfig();
    } catch {
      return {};
    }
  })();
  console.error(startupFailure(err, config) ?? (err instanceof Error ? err.message : err));
  process.exit(err instanceof UsageError ? 64 : 1);
});
