import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * CPU time spent by processes, from /proc (Linux). Throughput on a shared 2-core machine moves
 * with whatever else runs; CPU milliseconds per request do not, and they say where the time goes
 * (the application, PostgreSQL, the load generator).
 */
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  ppid: number;
  cpuMs: number;
  /** CPU of children it has waited for (exited PostgreSQL backends, autovacuum workers) */
  reapedChildrenMs: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const reaped = Number(fields[13]) + Number(fields[14]);
    return { ppid: Number(fields[1]), cpuMs: (ticks * 1000) / clockTicks(), reapedChildrenMs: (reaped * 1000) / clockTicks() };
  } catch {
    return undefined;
  }
}

/**
 * CPU ms of a process and its direct children (a postmaster and its backends), or undefined off
 * Linux. Children that exited in between count too (through the parent's reaped-children time),
 * so the difference of two readings does not go negative when a backend or an autovacuum worker
 * ends during a run.
 */
export function cpuMsOfTree(rootPid: number | undefined): number | undefined {
  if (rootPid === undefined) return undefined;
  const root = stat(rootPid);
  if (!root) return undefined;
  let total = root.cpuMs + root.reapedChildrenMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s && s.ppid === rootPid) total += s.cpuMs;
  }
  return total;
}

/** The postmaster of an embedded cluster (first line of postmaster.pid). */
export function postmasterPid(dataDir: string): number | undefined {
  try {
    return Number(readFileSync(path.resolve(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of a process (children, grandchildren …), from the parent links in /proc. */
export function descendants(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (s) parentOf.set(Number(entry), s.ppid);
  }
  const found: number[] = [];
  const frontier = [rootPid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}

/** The command line of a process ('' once it has gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/**
 * Peak resident set size of a process in KiB (VmHWM: the kernel's high-water mark, so a reading
 * taken any time before the process exits covers everything until then).
 */
export function peakRssKb(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
