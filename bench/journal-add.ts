/**
 * Journal add rate: one add at a time (each awaited: one commit per add), group-committed adds
 * (many `add()` calls issued in one event-loop turn: one commit per turn), and `addMany`.
 * Goal: ≥ 100k/s group-committed on SQLite. Usage: npx tsx bench/journal-add.ts [sqlite|postgres|URL] [count]
 */
import { cpus, loadavg } from 'node:os';
import { benchEntry, fmt, openBenchStore } from './journal-common.js';

const { store, name, cleanup } = await openBenchStore(process.argv[2]);
const total = Number(process.argv[3] ?? 200_000);
try {
  console.log(`engine: ${name}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  const singles = Math.min(5000, Math.max(500, total / 40));
  let t = performance.now();
  let cpu = process.cpuUsage();
  // Rate per CPU second of this process: on a shared machine the wall-clock rate mostly measures
  // how much CPU we were given; for in-process SQLite the CPU rate is the engine's own cost.
  const perCpu = (n: number): string => {
    const u = process.cpuUsage(cpu);
    return `${fmt(n / ((u.user + u.system) / 1e6))}/CPU-s`;
  };
  for (let i = 0; i < singles; i++) await store.add(benchEntry(`single${i % 10}@example.com`, 'bob@example.com'));
  let s = (performance.now() - t) / 1000;
  console.log(`single add (awaited, 1 commit each): ${fmt(singles / s)} adds/s, ${perCpu(singles)} (${fmt(singles)} in ${s.toFixed(2)} s)`);

  for (const turn of [100, 1000, 5000]) {
    t = performance.now();
    cpu = process.cpuUsage();
    let done = 0;
    while (done < total) {
      const batch = [];
      for (let i = 0; i < turn; i++) batch.push(store.add(benchEntry(`group${i % 100}@example.com`, `c${i % 50}@example.com`)));
      await Promise.all(batch);
      done += turn;
    }
    s = (performance.now() - t) / 1000;
    console.log(`group-committed add (${fmt(turn)} per turn): ${fmt(done / s)} adds/s, ${perCpu(done)} (${fmt(done)} in ${s.toFixed(2)} s)`);
  }

  t = performance.now();
  cpu = process.cpuUsage();
  let done = 0;
  while (done < total) {
    const batch = Array.from({ length: 1000 }, (_, i) => benchEntry(`many${i % 100}@example.com`, `c${i % 50}@example.com`));
    await store.addMany(batch);
    done += batch.length;
  }
  s = (performance.now() - t) / 1000;
  console.log(`addMany (1,000 per call): ${fmt(done / s)} adds/s, ${perCpu(done)}`);

  // Idempotency cost: re-adding known ids.
  const dup = benchEntry('dup@example.com', 'bob@example.com');
  await store.add(dup);
  t = performance.now();
  cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: 10_000 }, () => store.add({ ...dup })));
  s = (performance.now() - t) / 1000;
  console.log(`duplicate add (group-committed): ${fmt(10_000 / s)} adds/s, ${perCpu(10_000)}`);
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await cleanup();
}
