/**
 * Operators' key tool, on the configured database (DATABASE_URL, or PGlite in DATA_DIR):
 *   npm run keys -- create --role contributor --name "Partner X"   prints the new key's secret, once
 *   npm run keys -- list                                            keys that are not revoked
 *   npm run keys -- revoke <id>
 *   npm run keys -- new                                             a fresh secret, e.g. for ADMIN_API_KEY
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { ROLES } from '../src/db/schema';
import { newSecret } from '../src/modules/api-keys/api-key-service';
import { createServices } from '../src/services';

const usage =
  'usage: npm run keys -- create --role reader|contributor|verifier|admin --name NAME | list | revoke ID | new';

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { role: { type: 'string' }, name: { type: 'string' } },
  });
  const [command, id] = positionals;
  if (command === 'new') {
    console.log(newSecret());
    return;
  }
  if (!command || !['create', 'list', 'revoke'].includes(command)) throw new Error(usage);
  const database = await openDatabase(loadConfig());
  try {
    await database.migrate();
    const keys = createServices(database.db).apiKeys;
    if (command === 'create') {
      const role = values.role as (typeof ROLES)[number];
      if (!ROLES.includes(role) || !values.name?.trim()) throw new Error(usage);
      const key = await keys.create({ name: values.name, role });
      console.log(`created ${key.role} key ${key.id} (${key.name})`);
      console.log(`secret (shown once, store it now): ${key.secret}`);
    } else if (command === 'list') {
      let cursor: string | undefined;
      do {
        const page = await keys.list({ limit: 1000, cursor });
        for (const k of page.data) console.log(`${k.id}  ${k.role.padEnd(11)}  ${k.prefix}…  ${k.name}`);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    } else {
      if (!id) throw new Error(usage);
      await keys.revoke(id);
      console.log(`revoked ${id}`);
    }
  } finally {
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
