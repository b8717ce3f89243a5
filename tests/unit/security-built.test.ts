// What the build actually produces, built fresh into a temporary folder (electron-vite's build API,
// the project's own config): the preload needs nothing but `electron` and exposes exactly the
// contract; the renderer page enforces the CSP and carries no inline code; no bundle evaluates strings.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { build } from 'electron-vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, CHANNELS, ipcChannelName, PROGRESS_EVENT } from '../../src/shared/channels';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp';
import { cspProblems } from '../support/csp';

let outDir: string;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'credhop-security-build-'));
  await build({ root: process.cwd(), logLevel: 'error', build: { outDir, emptyOutDir: true } });
}, 120_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const read = (rel: string) => readFileSync(join(outDir, rel), 'utf8');

interface FakeIpcRenderer {
  invoke(channel: string, request: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): FakeIpcRenderer;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): FakeIpcRenderer;
}

/** Runs the built preload in a fresh context with a stand-in `electron`, like Electron's sandboxed preload. */
function runPreload() {
  const exposed = new Map<string, unknown>();
  const invoked: [string, unknown][] = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const answer = { ok: true, data: null };
  const ipcRenderer: FakeIpcRenderer = {
    async invoke(channel, request) {
      invoked.push([channel, request]);
      return answer;
    },
    // Like Node's EventEmitter, on/removeListener return the emitter itself: the preload must not pass that on.
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return ipcRenderer;
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
      return ipcRenderer;
    },
  };
  const electron = { contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) }, ipcRenderer };
  const required: string[] = [];
  const requireFn = (name: string) => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`the preload required ${name}`);
  };
  const module = { exports: {} };
  const context = createContext({ require: requireFn, module, exports: module.exports, console });
  runInContext(read('preload/index.js'), context, { filename: 'preload/index.js' });
  return { exposed, invoked, listeners, required, answer, ipcRenderer, electron };
}

describe('built preload (out/preload/index.js)', () => {
  it('requires nothing but electron, statically or at run time', () => {
    const code = read('preload/index.js');
    const requires = [...code.matchAll(/\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)/g)].map((m) => m[2]);
    expect(new Set(requires)).toEqual(new Set(['electron']));
    expect(code).not.toMatch(/\bimport\s*\(|^\s*import\s/m);
    expect(runPreload().required).toEqual(['electron']);
  });

  it(`exposes exactly one key, ${API_KEY}, whose keys are the contract's channels and onProgress`, () => {
    const { exposed } = runPreload();
    expect([...exposed.keys()]).toEqual([API_KEY]);
    const api = exposed.get(API_KEY) as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...CHANNELS, 'onProgress', 'onQuitRequest'].sort());
    expect(Object.isFrozen(api)).toBe(true);
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('hands back only what main answered, never ipcRenderer, electron or an event', async () => {
    const { exposed, invoked, answer, ipcRenderer, electron } = runPreload();
    const api = exposed.get(API_KEY) as Record<string, (arg?: unknown) => unknown>;
    for (const channel of CHANNELS) {
      const returned = api[channel]!({ probe: channel });
      expect(returned).toBeInstanceOf(Object);
      const value = await returned;
      expect(value).toBe(answer);
      expect(value).not.toBe(ipcRenderer);
      expect(value).not.toBe(electron);
    }
    expect(invoked.map(([c]) => c)).toEqual(CHANNELS.map(ipcChannelName));
    expect(invoked.map(([, r]) => r)).toEqual(CHANNELS.map((c) => ({ probe: c })));
  });

  it('passes progress payloads without the event, and its unsubscribe returns nothing', () => {
    const { exposed, listeners, ipcRenderer } = runPreload();
    const api = exposed.get(API_KEY) as { onProgress(listener: (...args: unknown[]) => void): unknown };
    const seen: unknown[][] = [];
    const off = api.onProgress((...args) => seen.push(args));
    expect(typeof off).toBe('function');
    expect(off).not.toBe(ipcRenderer);
    const registered = [...(listeners.get(PROGRESS_EVENT) ?? [])];
    expect(registered).toHaveLength(1);
    const event = { sender: ipcRenderer, senderId: 0, ports: [] };
    registered[0]!(event, { operationId: 'a', message: 'm', level: 'info' });
    expect(seen).toEqual([[{ operationId: 'a', message: 'm', level: 'info' }]]);
    expect((off as () => unknown)()).toBeUndefined();
    expect(listeners.get(PROGRESS_EVENT)?.size).toBe(0);
    expect([...listeners.keys()]).toEqual([PROGRESS_EVENT]);
  });
});

describe('built renderer (out/renderer)', () => {
  it('carries the CSP in a meta tag, equal to the one main sends and keeping every rule', () => {
    const html = read('renderer/index.html');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)].map((m) => m[1]);
    expect(metas).toEqual([CONTENT_SECURITY_POLICY]);
    expect(cspProblems(metas[0]!)).toEqual([]);
  });

  it('has no inline <script> and no inline event handler attributes', () => {
    const html = read('renderer/index.html');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc="\.\/assets\/[^"]+\.js"/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<[^>]+\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('evaluates no strings as code: no eval( or new Function( in the renderer or the preload', () => {
    const assets = readdirSync(join(outDir, 'renderer/assets')).filter((f) => f.endsWith('.js'));
    expect(assets.length).toBeGreaterThan(0);
    const bundles = [...assets.map((f) => `renderer/assets/${f}`), 'preload/index.js'];
    for (const file of bundles) {
      const code = read(file);
      expect(code, file).not.toMatch(/\beval\s*\(/);
      expect(code, file).not.toMatch(/\bnew\s+Function\s*\(/);
    }
  });
});
