/** Reads a V8 CPU profile (node --cpu-prof) and says where the process spent its CPU time. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const STARTUP = '(start-up: loading modules)';
// Work node defers to a later tick (a corked socket flushed by uncork, timers) has no caller left on its stack.
const DEFERRED = '(node: deferred work, e.g. socket writes flushed on the next tick)';

/** Where a function lives: its package, the project folder, node itself, or one of V8's own buckets. */
function areaOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(root)') return DEFERRED;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const folder = /\/(src|bench)\/(?:(.+)\/)?[^/]+$/.exec(url);
  if (folder) return folder[2] ? `${folder[1]}/${folder[2]}` : folder[1]!;
  return url.startsWith('node:') ? 'node' : url;
}

/**
 * The top self-time functions, and the time by area with node's internals and native code (socket writes,
 * JSON.stringify) charged to the package or project folder that called them, so that each area's figure is
 * what it costs. Samples taken while modules load count as start-up. Idle time is left out.
 */
export function summariseProfile(file: string, top = 12): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parents = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

  const selfByNode = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );

  function chargedArea(id: number): string {
    let charged: string | undefined;
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const frame = nodes.get(at)!.callFrame;
      if (frame.url.startsWith('node:internal/modules')) return STARTUP;
      const area = areaOf(frame);
      if (charged === undefined && area !== 'node' && area !== '(native)') charged = area;
    }
    return charged ?? areaOf(nodes.get(id)!.callFrame);
  }

  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of selfByNode) {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += micros;
    const where = frame.url
      ? ` ${frame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`
      : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    const area = chargedArea(id);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `    ${((100 * v) / busy).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return [
    `  ${(busy / 1e6).toFixed(1)} s of CPU, idle left out`,
    '  by area (node internals and native code charged to their caller):',
    list(byArea),
    '  top self-time functions:',
    list(byFunction),
  ].join('\n');
}
