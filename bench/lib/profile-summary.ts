import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** One node of a V8 .cpuprofile (what `node --cpu-prof` writes). */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame comes from, coarse enough to read: a package, our code, node internals, or V8's own. */
export function originOf(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`; // (garbage collector), (program), (idle)
  const path = url.replace(/^file:\/\//, '');
  const inModules = path.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = path.slice(inModules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? path);
  }
  if (path.startsWith('node:')) return 'node internals';
  return relative(process.cwd(), path);
}

export interface SelfTimeShare {
  key: string;
  micros: number;
  share: number;
}

/** Self time by function and by origin, as shares of the busy (non-idle) time, over one or more profiles. */
export function summariseProfiles(profiles: CpuProfile[]): { busyMicros: number; byFunction: SelfTimeShare[]; byOrigin: SelfTimeShare[] } {
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) busy += addSelfTimes(profile, byFunction, byOrigin);
  const sorted = (map: Map<string, number>) => [...map].map(([key, micros]) => ({ key, micros, share: micros / busy })).sort((a, b) => b.micros - a.micros);
  return { busyMicros: busy, byFunction: sorted(byFunction), byOrigin: sorted(byOrigin) };
}

/** Adds one profile's self times into the maps; returns its busy microseconds. */
function addSelfTimes(profile: CpuProfile, byFunction: Map<string, number>, byOrigin: Map<string, number>): number {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  // Starting a profile from inside the process (lib/window-profile.ts) costs the profiler's own time: not the program's.
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const isProfilerItself = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      if (nodes.get(at)?.callFrame.url.includes('window-profile')) return true;
    }
    return false;
  };
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const node = nodes.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || isProfilerItself(id)) continue;
    busy += micros;
    const origin = originOf(url, functionName);
    const fn = `${functionName || '(anonymous)'} ${url ? `${origin}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + micros);
  }
  return busy;
}

/** `node -r @swc/register bench/lib/profile-summary.ts [--top N] <file.cpuprofile>...`: self time, by origin and by function, over all files. */
if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  if (args.length === 0) {
    console.error('usage: profile-summary.ts [--top N] <file.cpuprofile>...');
    process.exit(2);
  }
  const summary = summariseProfiles(args.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile));
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  console.log(`busy ${(summary.busyMicros / 1e6).toFixed(2)} s (idle excluded)\n\nself time by origin:`);
  for (const row of summary.byOrigin.slice(0, Number(top))) console.log(`${pct(row.share)}  ${row.key}`);
  console.log('\nself time by function:');
  for (const row of summary.byFunction.slice(0, Number(top))) console.log(`${pct(row.share)}  ${row.key}`);
}
