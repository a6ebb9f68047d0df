/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self
 * time, the same by package or source file, and the inclusive time of the functions of ours
 * that a request passes through. `npm run bench:proxy` with BENCH_PROFILE=1 profiles the
 * monolith and prints this; standalone: `npx tsx scripts/bench/proxy-profile.ts <file.cpuprofile> [top]`.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface CallFrame { functionName: string; url: string; lineNumber: number; columnNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface ProfileLine { name: string; ms: number; share: number }
export interface ProfileSummary {
  /** sampled time the thread was running JavaScript, natives or GC (idle left out) */
  busyMs: number;
  idleMs: number;
  gcMs: number;
  selfTop: ProfileLine[];
  byPlace: ProfileLine[];
  /** self + callees, for functions in this repository (src/, modules/, extracted/) */
  inclusiveOurs: ProfileLine[];
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function place(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const parts = url.slice(inModules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(repoRoot) ? relative(repoRoot, path) : path;
}

function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  return `${name} ${place(frame)}:${frame.lineNumber + 1}`;
}

export async function summariseProfile(file: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const places = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyMs = 0;
  let idleMs = 0;
  let gcMs = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const name = node.callFrame.functionName;
    if (name === '(idle)') { idleMs += ms; continue; }
    busyMs += ms;
    if (name === '(garbage collector)') gcMs += ms;
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + ms);
    const where = place(node.callFrame);
    places.set(where, (places.get(where) ?? 0) + ms);
    // every function of ours on the stack of this sample, once each
    const seen = new Set<string>();
    for (let at: number | undefined = node.id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (SPECIAL.has(frame.functionName) || !frame.url) continue;
      const from = place(frame);
      if (!/^(src|modules|extracted)\//.test(from)) continue;
      const ours = label(frame);
      if (seen.has(ours)) continue;
      seen.add(ours);
      inclusive.set(ours, (inclusive.get(ours) ?? 0) + ms);
    }
  }
  const ranked = (map: Map<string, number>, count: number): ProfileLine[] => [...map.entries()]
    .sort((a, b) => b[1] - a[1]).slice(0, count)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / busyMs) * 1000) / 10 }));
  return { busyMs: Math.round(busyMs), idleMs: Math.round(idleMs), gcMs: Math.round(gcMs), selfTop: ranked(self, top), byPlace: ranked(places, top), inclusiveOurs: ranked(inclusive, top) };
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = (title: string, items: readonly ProfileLine[]) => [
    title, ...items.map((item) => `  ${String(item.share).padStart(5)}%  ${String(item.ms).padStart(7)} ms  ${item.name}`),
  ].join('\n');
  return [
    `busy ${summary.busyMs} ms (GC ${summary.gcMs} ms), idle ${summary.idleMs} ms; shares are of busy time`,
    lines('self time, by function:', summary.selfTop),
    lines('self time, by package or file:', summary.byPlace),
    lines('inclusive time, functions of this repository:', summary.inclusiveOurs),
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx scripts/bench/proxy-profile.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(await summariseProfile(file, Number(top ?? 25)))}\n`);
}
