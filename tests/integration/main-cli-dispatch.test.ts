// `CredHop.exe --cli <command> …` through the Electron bootstrap (mocked `electron`, real pwsh and the
// lab behind the command line): the command line runs with no window and no single-instance lock, its
// output reaches stdout/stderr, and the app exits with the command line's own code.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cliArgsOf } from '../../src/main/cli-mode';
import { bootMain } from '../support/electron-fake';
import { removeDir } from './lab-fixture';
import { requirePwsh } from './pwsh-path';

type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;

/** Captures what the command line writes, still calling write's callback (the entry waits for it before exiting). */
function capture(stream: NodeJS.WriteStream): { text: () => string } {
  const chunks: string[] = [];
  vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    chunks.push(String(chunk));
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as Write as typeof stream.write);
  return { text: () => chunks.join('') };
}

describe('where the command line\'s arguments are', () => {
  it('packaged: after CredHop.exe; unpackaged: after the app path; only as the first argument', () => {
    expect(cliArgsOf(['C:\\Program Files\\CredHop\\CredHop.exe', '--cli', 'status', '--json'], true)).toEqual(['status', '--json']);
    expect(cliArgsOf(['/usr/lib/electron/electron', '/src/credhop', '--cli', 'status'], false)).toEqual(['status']);
    expect(cliArgsOf(['/usr/lib/electron/electron', '/src/credhop', '--cli'], false)).toEqual([]);
    // The packaged layout read as unpackaged (and the other way round) is not command-line mode.
    expect(cliArgsOf(['CredHop.exe', '--cli', 'status'], false)).toBeNull();
    expect(cliArgsOf(['electron', '.', '--cli', 'status'], true)).toBeNull();
    expect(cliArgsOf(['CredHop.exe'], true)).toBeNull();
    expect(cliArgsOf(['CredHop.exe', '--practice', '--cli'], true)).toBeNull();
  });
});

describe('CredHop.exe --cli (the bootstrap with a mocked electron)', () => {
  let dataDir: string;
  const env = process.env.CREDHOP_DATA_DIR;
  beforeEach(() => {
    requirePwsh();
    dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-dispatch-'));
    process.env.CREDHOP_DATA_DIR = dataDir;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (env === undefined) delete process.env.CREDHOP_DATA_DIR;
    else process.env.CREDHOP_DATA_DIR = env;
    removeDir(dataDir);
  });

  it('status --practice (unpackaged layout): runs the command line in the lab, opens no window, exits 0', async () => {
    const out = capture(process.stdout);
    const err = capture(process.stderr);
    const main = await bootMain(dataDir, { argv: ['/usr/lib/electron/electron', process.cwd(), '--cli', 'status', '--practice'], realServices: true });
    // Checked before waiting for the exit: an app that started its window instead would never exit here.
    expect(main.windows).toHaveLength(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    const code = await main.exited;
    expect({ code, stderr: err.text() }).toMatchObject({ code: 0 });
    expect(err.text()).toContain('PRACTICE MODE');
    expect(out.text()).toMatch(/This computer/);
    expect(main.windows).toHaveLength(0);
    expect(main.ipcHandlers.size).toBe(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    expect(main.app.exit).toHaveBeenCalledTimes(1);
  });

  it('status in real mode off Windows: the command line\'s diagnosed failure, exit 1', async () => {
    const err = capture(process.stderr);
    capture(process.stdout);
    const main = await bootMain(dataDir, { argv: ['/usr/lib/electron/electron', process.cwd(), '--cli', 'status'], realServices: true });
    expect(main.windows).toHaveLength(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    expect(await main.exited).toBe(1);
    expect(err.text()).toMatch(/real mode needs Windows/);
    expect(main.windows).toHaveLength(0);
  });

  it('a bad option (packaged layout): refused with the command line\'s words, exit 2, no window', async () => {
    const err = capture(process.stderr);
    capture(process.stdout);
    const main = await bootMain(dataDir, { argv: ['C:\\Program Files\\CredHop\\CredHop.exe', '--cli', 'status', '--no-such-option'], packaged: true, realServices: true });
    expect(main.windows).toHaveLength(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    expect(await main.exited).toBe(2);
    expect(err.text()).toMatch(/^credhop: .*--no-such-option/m);
    expect(main.windows).toHaveLength(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
  });

  it('help (packaged layout): the same help text as credhop, exit 0', async () => {
    const out = capture(process.stdout);
    capture(process.stderr);
    const main = await bootMain(dataDir, { argv: ['C:\\Program Files\\CredHop\\CredHop.exe', '--cli', 'help'], packaged: true, realServices: true });
    expect(main.windows).toHaveLength(0);
    expect(main.app.requestSingleInstanceLock).not.toHaveBeenCalled();
    expect(await main.exited).toBe(0);
    const { HELP } = await import('../../src/cli/args');
    expect(out.text()).toBe(HELP);
  });

  it('with --cli anywhere but first the app starts as usual: the single-instance lock and a window', async () => {
    const main = await bootMain(dataDir, { argv: ['/usr/lib/electron/electron', process.cwd(), 'status', '--cli'] });
    expect(main.app.requestSingleInstanceLock).toHaveBeenCalled();
    expect(main.windows).toHaveLength(1);
    expect(main.app.exit).not.toHaveBeenCalled();
  });
});
