/**
 * CPU time of a local PostgreSQL server, for benchmarks that report "database CPU per request" beside
 * their own (on a shared machine the rate follows the CPU a run is given; CPU per request does not).
 * The postmaster is found as the parent of our connection's backend (`pg_backend_pid()`); its CPU is
 * its own, its live children's (backends, WAL writer, checkpointer…) and that of the children it has
 * reaped (`cutime`/`cstime`). Linux `/proc` only; null when the server is not a local, readable process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type pg from 'pg';

/** Clock ticks → µs (USER_HZ is 100 on Linux). */
const TICK_US = 10_000;

function stat(pid: number): string[] | null {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return f.slice(f.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function treeTicks(pid: number): number {
  const v = stat(pid);
  if (!v) return 0;
  // Fields 14–17 of stat (utime, stime, cutime, cstime) are 11–14 after the command name.
  let ticks = Number(v[11]) + Number(v[12]) + Number(v[13]) + Number(v[14]);
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').trim();
      for (const c of children ? children.split(' ') : []) ticks += treeTicks(Number(c));
    }
  } catch {
    // The process ended meanwhile: its time is now in the parent's cutime.
  }
  return ticks;
}

/** A function returning the server's total CPU time in µs so far, or null if it cannot be read. */
export async function postgresCpuMeter(client: pg.Client | pg.Pool): Promise<(() => number) | null> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backend = stat(rows[0]!.pid);
  if (!backend) return null;
  const postmaster = Number(backend[1]); // ppid
  if (!stat(postmaster)) return null;
  return () => treeTicks(postmaster) * TICK_US;
}
