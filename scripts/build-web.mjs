#!/usr/bin/env node
// Builds the built-in web client (web/, `web-client.md`) into static files the server serves
// (src/webclient/serve.ts): `<out>/index.html` and `<out>/assets/<name>-<hash>.{js,css}`. esbuild
// bundles Preact and the application into one ES module; OpenPGP, imported dynamically, becomes its
// own chunk that the browser loads only when a key or an encrypted message needs it. The HTML names
// the hashed files, so they can be cached forever and the HTML never.
// Usage: `node scripts/build-web.mjs [outDir]` (default dist/web). Also imported by the tests.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Build into `outDir`; returns the names of the files written and the metafile. */
export async function buildWeb(outDir = join(root, 'dist', 'web')) {
  rmSync(outDir, { recursive: true, force: true });
  const assets = join(outDir, 'assets');
  mkdirSync(assets, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { app: 'web/src/main.tsx' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = result.metafile.outputs;
  const entry = Object.entries(outputs).find(([, o]) => o.entryPoint === 'web/src/main.tsx');
  if (!entry) throw new Error('esbuild produced no entry output');
  const js = basename(entry[0]);
  const css = entry[1].cssBundle ? basename(entry[1].cssBundle) : null;
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Sylk</title>
<link rel="icon" href="data:,">
${css ? `<link rel="stylesheet" href="/assets/${css}">\n` : ''}<script type="module" src="/assets/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>This chat needs JavaScript.</noscript>
</body>
</html>
`;
  writeFileSync(join(outDir, 'index.html'), html);
  return { outDir, js, css, files: Object.keys(outputs).map((p) => relative(join(root), join(root, p))), metafile: result.metafile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await buildWeb(process.argv[2]);
  console.log(`web client built in ${relative(process.cwd(), r.outDir) || '.'}: ${r.js}${r.css ? `, ${r.css}` : ''}`);
}
