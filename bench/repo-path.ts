/**
 * Files of the repository (scripts/, config/) from a benchmark, whether it runs from source
 * (`npx tsx bench/x.ts`) or built (`node dist/bench/x.js`): the nearest directory above this module
 * that holds package.json is the repository root.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The `file:` URL of `relative` (a path inside the repository). */
export function repoFileUrl(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`repository root not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return pathToFileURL(join(dir, relative)).href;
}
