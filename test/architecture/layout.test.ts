/**
 * The layout rules of ARCHITECTURE.md that a machine can check: no import cycle in `src/` (value and
 * type imports alike), no file in `src/` over 500 lines, and every module opens with a doc comment.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const files = sources(src);
const text = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

/** Relative imports and re-exports of a module, as absolute `.ts` paths. */
function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of text.get(file)!.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out.filter((p) => text.has(p));
}

/** Every cycle reachable in the graph, as a list of paths relative to src/. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push(stack.slice(stack.indexOf(d)).map((p) => relative(src, p)));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return cycles;
}

test('the cycle finder finds a cycle (a → b → a) and none in a chain', () => {
  const a = join(src, 'a.ts');
  const b = join(src, 'b.ts');
  const c = join(src, 'c.ts');
  assert.deepEqual(findCycles(new Map([[a, [b]], [b, [a]]])), [['a.ts', 'b.ts']]);
  assert.deepEqual(findCycles(new Map([[a, [b]], [b, [c]], [c, []]])), []);
});

test('no import cycle in src/', () => {
  assert.ok(files.length > 100, `found only ${files.length} modules`);
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  assert.ok([...graph.values()].some((d) => d.length > 0), 'the import scan found no imports at all');
  assert.deepEqual(findCycles(graph), []);
});

test('no file in src/ over 500 lines', () => {
  const long = files.map((f) => [relative(src, f), text.get(f)!.split('\n').length] as const).filter(([, n]) => n > 500);
  assert.deepEqual(long, []);
});

test('every module in src/ opens with a doc comment', () => {
  const bare = files.filter((f) => !/^(#![^\n]*\n)?\s*\/\*\*/.test(text.get(f)!)).map((f) => relative(src, f));
  assert.deepEqual(bare, []);
});
