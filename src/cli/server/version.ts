/**
 * The program's version (from `package.json`, found by walking up from this file, so it works both
 * from `src/` through tsx and from the compiled `dist/src/`), and the `Server` header value.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function programVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sylk-messaging' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      /* not here */
    }
    const up = dirname(dir);
    if (up === dir) return (cached = '0.0.0');
    dir = up;
  }
}

/** `Server: SylkServer/<version>` on every HTTP response (`http-api.md` §1). */
export function serverHeader(): string {
  return `SylkServer/${programVersion()}`;
}
