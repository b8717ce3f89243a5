import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from './src/main/security/csp';

/** Puts the one CSP into index.html, so the built renderer enforces it wherever it is served. */
function cspMeta(): Plugin {
  return {
    name: 'credhop-csp-meta',
    transformIndexHtml(html) {
      return html.replace(
        '<!-- csp -->',
        `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}" />`,
      );
    },
  };
}

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      // zod is bundled (tree-shaken into the main chunk) rather than required: as a package it is 95 files
      // and took ~105 ms of a ~160 ms bundle load, before the first IPC answer (#13, start-up).
      externalizeDeps: { exclude: ['zod'] },
      rollupOptions: {
        // The CLI is built beside the Electron entry: same engine, no Electron.
        input: { index: resolve('src/main/index.ts'), cli: resolve('src/cli/main.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve('src/preload/index.ts') } },
    },
  },
  renderer: {
    root: 'src/renderer',
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves output unminified by default; the renderer ships minified (smaller, faster to parse).
      minify: true,
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } },
    },
    plugins: [svelte(), cspMeta()],
  },
});
