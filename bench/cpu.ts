// CPU time of processes and of the whole machine from /proc (Linux), sampled through a run so
// that the pipeline bench can say where the cores went over exactly the interval it measured, and
// how much of them other work on a shared machine took.
import { readFileSync } from 'node:fs';

const TICKS_PER_S = 100; // USER_HZ, 100 on every Linux platform Node supports

/** utime + stime of a process in seconds; undefined once it has exited. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Busy (not idle, not iowait) CPU seconds of the whole machine, all cores together. */
export function machineCpuSeconds(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  return (v[0]! + v[1]! + v[2]! + v[5]! + v[6]! + v[7]!) / TICKS_PER_S;
}

interface Sample {
  atMs: number;
  machine: number;
  /** CPU seconds per group so far (a process that exited keeps its last reading). */
  groups: Map<string, number>;
}

/** Samples named groups of processes every `intervalMs` until stopped. */
export class CpuSampler {
  private readonly pids = new Map<string, number[]>();
  private readonly last = new Map<number, number>();
  private readonly samples: Sample[] = [];
  private timer?: NodeJS.Timeout;

  add(group: string, pid: number | undefined): void {
    if (pid === undefined) return;
    this.pids.set(group, [...(this.pids.get(group) ?? []), pid]);
  }

  start(intervalMs = 250): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }

  /**
   * CPU % (100 = one core) per group from the last sample at or before fromMs to the first at or
   * after toMs (performance.now() times), plus `machine` (everything) and `other` (none of the groups).
   */
  usage(fromMs: number, toMs: number): Record<string, number> {
    const a = this.samples.filter((s) => s.atMs <= fromMs).at(-1) ?? this.samples[0];
    const b = this.samples.find((s) => s.atMs >= toMs) ?? this.samples.at(-1);
    const out: Record<string, number> = {};
    if (!a || !b || b.atMs <= a.atMs) return out;
    const pct = (seconds: number) => Math.round((seconds / ((b.atMs - a.atMs) / 1000)) * 100);
    let ours = 0;
    for (const group of this.pids.keys()) {
      const used = (b.groups.get(group) ?? 0) - (a.groups.get(group) ?? 0);
      ours += used;
      out[group] = pct(used);
    }
    const machine = b.machine - a.machine;
    out.machine = pct(machine);
    out.other = pct(Math.max(0, machine - ours));
    return out;
  }

  private sample(): void {
    const groups = new Map<string, number>();
    for (const [group, pids] of this.pids) {
      let sum = 0;
      for (const pid of pids) {
        const now = processCpuSeconds(pid);
        if (now !== undefined) this.last.set(pid, now);
        sum += this.last.get(pid) ?? 0;
      }
      groups.set(group, sum);
    }
    this.samples.push({ atMs: performance.now(), machine: machineCpuSeconds(), groups });
  }
}
