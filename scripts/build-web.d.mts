// Types of scripts/build-web.mjs for the TypeScript tests that build the web client.
import type { Metafile } from 'esbuild';

export function buildWeb(outDir?: string): Promise<{ outDir: string; js: string; css: string | null; files: string[]; metafile: Metafile }>;
