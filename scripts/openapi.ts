/**
 * Writes the OpenAPI document generated from the route schemas to openapi/openapi.json,
 * or with --check fails when the committed file differs from what the code generates.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateOpenApiDocument } from './openapi-document';

const target = path.resolve(__dirname, '../openapi/openapi.json');

async function main() {
  const generated = await generateOpenApiDocument();
  if (process.argv.includes('--check')) {
    const committed = await readFile(target, 'utf8').catch(() => '');
    if (committed !== generated) {
      console.error('openapi/openapi.json is stale: run `npm run openapi` and commit the result.');
      process.exit(1);
    }
    console.log('openapi/openapi.json is current.');
    return;
  }
  await writeFile(target, generated);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
