import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';

/**
 * `npm install` warns (EBADENGINE) about every installed package whose `engines.node` does not accept the running
 * Node. The lock file records each package's engines: every one must accept the oldest Node the project supports
 * (package.json `engines`, which the README names) and the Node running the suite.
 */
const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  overrides?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

const oldest = semver.minVersion(manifest.engines.node)!.version;

function refusing(node: string): string[] {
  return Object.entries(lock.packages)
    .filter(([where]) => where !== '')
    .flatMap(([where, pkg]) => {
      const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      return range && !semver.satisfies(node, range, { includePrerelease: true })
        ? [`${where.replace(/^.*node_modules\//, '')}@${pkg.version} wants node ${range}`]
        : [];
    });
}

test(`every installed package accepts Node ${oldest}, the oldest the project supports`, () => {
  expect(refusing(oldest)).toEqual([]);
});

test('every installed package accepts the Node running this suite', () => {
  expect(refusing(process.versions.node)).toEqual([]);
});

test('the README names the same oldest Node as package.json', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  expect(readme).toContain(`Node.js ${oldest.replace(/\.0$/, '')} or later is required`);
});

test('the packages pinned for Node 20 are installed at the pinned versions', () => {
  for (const [name, version] of Object.entries(manifest.overrides ?? {})) {
    const installed = Object.entries(lock.packages).filter(([where]) =>
      where.endsWith(`node_modules/${name}`),
    );
    expect(installed.map(([, pkg]) => `${name}@${pkg.version}`)).toEqual(
      installed.map(() => `${name}@${version}`),
    );
    expect(installed.length).toBeGreaterThan(0);
  }
});
