// The renderer's Content Security Policy: the constant main sends, the check itself (it can fail),
// and the header the app:// protocol puts on every response.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/main/security/csp';
import { cspProblems, parseCsp } from '../support/csp';
import { bootMain, type BootedMain } from '../support/electron-fake';

describe('CONTENT_SECURITY_POLICY (src/main/security/csp.ts)', () => {
  it('keeps every rule: default-src, object-src, base-uri and frame-ancestors none; no eval, inline code, remote origins or wildcards', () => {
    expect(cspProblems(CONTENT_SECURITY_POLICY)).toEqual([]);
  });

  it('allows scripts from the app itself only', () => {
    expect(parseCsp(CONTENT_SECURITY_POLICY).get('script-src')).toEqual(["'self'"]);
  });

  /** The policy with one directive's sources replaced (or added). */
  function withDirective(name: string, sources: string): string {
    const others = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith(`${name} `));
    return [...others, `${name} ${sources}`].join('; ');
  }

  it.each([
    ['script-src', "'self' 'unsafe-eval'", /allows eval/],
    ['style-src', "'self' 'unsafe-inline'", /inline code/],
    ['connect-src', "'self' https://api.example.com", /remote origin/],
    ['connect-src', "'self' ws://127.0.0.1:9229", /remote origin/],
    ['connect-src', "'self' example.com", /remote origin/],
    ['img-src', '*', /wildcard/],
    ['script-src', "'self' data:", /data: URLs/],
  ])('would catch %s %s (the check can fail)', (name, sources, problem) => {
    expect(cspProblems(withDirective(name, sources))).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it.each(['default-src', 'object-src', 'base-uri', 'frame-ancestors'])('would catch a policy without %s none', (name) => {
    const weaker = CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith(`${name} `)).join('; ');
    expect(cspProblems(weaker)).toEqual(expect.arrayContaining([expect.stringContaining(name)]));
  });
});

describe('app:// responses', () => {
  let dataDir: string;
  let main: BootedMain;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'credhop-security-csp-'));
    main = await bootMain(dataDir);
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('carry the CSP and nosniff on every file the protocol serves', async () => {
    const handle = main.protocolHandlers.get('app')!;
    const response = await handle(new Request('app://credhop/index.html'));
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Security-Policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(response.headers.get('Content-Type')).toBe('text/html');
    expect(String(main.netFetch.mock.calls[0]![0])).toMatch(/^file:\/\/.*[\\/]renderer[\\/]index\.html$/);
  });

  it('refuse a path outside the renderer folder without reading it', async () => {
    const handle = main.protocolHandlers.get('app')!;
    main.netFetch.mockClear();
    const response = await handle(new Request('app://credhop/..%2f..%2fpackage.json'));
    expect(response.status).toBe(404);
    expect(main.netFetch).not.toHaveBeenCalled();
  });
});
