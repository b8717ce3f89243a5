// Builds the real preload against the IPC stand-in, once per test run.
import { resolve } from 'node:path';
import { build } from 'vite';

export default async function globalSetup(): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    resolve: { alias: { electron: resolve('tests/e2e/electron-shim.ts') } },
    build: {
      outDir: 'out/e2e-preload',
      emptyOutDir: true,
      minify: false,
      lib: { entry: resolve('src/preload/index.ts'), formats: ['iife'], name: 'credhopPreload', fileName: () => 'preload.js' },
    },
  });
}
