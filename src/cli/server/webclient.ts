/**
 * `[WebServer] web_client` → the web client's options (`web-client.md`): whether `/` serves the
 * built-in chat application, and where its build output is (`dist/web/` of the package, written by
 * `npm run build`; the same place whether the server runs from `src/` through tsx or from `dist/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/index.js';

export interface WebClientConfig {
  enabled: boolean;
  /** The build output directory (`index.html`, `assets/`). */
  dir: string;
}

/** The package root: the nearest directory above this module with this package's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'sylk-messaging') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('package root of sylk-messaging not found');
    dir = up;
  }
}

/** `dir` overrides the build location (tests build into a temporary directory). */
export function webClientOptionsFromConfig(config: Config, dir?: string): WebClientConfig {
  return { enabled: config.WebServer.web_client, dir: dir ?? join(packageRoot(), 'dist', 'web') };
}
