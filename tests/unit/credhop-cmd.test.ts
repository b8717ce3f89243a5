// credhop.cmd, installed beside CredHop.exe: checked as text, since cmd.exe does not run here. What
// it must do on Windows: keep CRLF line endings, run CredHop.exe --cli from the script (so cmd.exe
// waits for the GUI program and takes its exit code), pass every argument through as typed, and
// hand the exit code back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const raw = readFileSync('build/win/credhop.cmd');
const text = raw.toString('latin1');
const lines = text.split('\r\n');
const code = lines.filter((l) => l.trim() !== '' && !/^\s*rem\b/i.test(l));

describe('credhop.cmd', () => {
  it('has CRLF line endings only, and ASCII text (cmd.exe reads the OEM code page)', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect([...raw].every((b) => b < 0x80)).toBe(true);
  });

  it('runs CredHop.exe beside itself with --cli and every argument as typed', () => {
    const run = code.filter((l) => /CredHop\.exe/i.test(l));
    expect(run).toEqual(['"%~dp0CredHop.exe" --cli %*']);
    // %* unquoted: quoting it would merge the arguments into one; each keeps the quotes it was typed with.
    expect(text).not.toMatch(/"%\*"/);
  });

  it('waits for it: called directly from the script, not through start (which returns at once without /wait and cannot pass redirected output on)', () => {
    expect(code.some((l) => /^\s*start\b/i.test(l))).toBe(false);
    expect(code.some((l) => /^\s*call\b/i.test(l))).toBe(false);
  });

  it('passes the exit code back as its own', () => {
    const at = code.findIndex((l) => /CredHop\.exe/i.test(l));
    expect(code[at + 1]).toBe('exit /b %ERRORLEVEL%');
  });

  it('does not echo its commands, keeps its variables to itself, and never expands ! in arguments', () => {
    expect(code[0]).toBe('@echo off');
    expect(code).toContain('setlocal DisableDelayedExpansion');
  });

  it('in a console that is not elevated: says why nothing would show and what to do, on stderr, exit 1, without starting CredHop', () => {
    const check = code.findIndex((l) => /fltmc/i.test(l));
    const run = code.findIndex((l) => /CredHop\.exe/i.test(l));
    expect(check).toBeGreaterThan(-1);
    expect(check).toBeLessThan(run);
    const block = code.slice(check + 1, code.indexOf(')', check) + 1);
    expect(block[0]).toBe('if errorlevel 1 (');
    expect(block.filter((l) => /echo/i.test(l)).every((l) => l.trim().startsWith('>&2 echo'))).toBe(true);
    expect(block.join('\n')).toMatch(/Run as administrator/);
    expect(block).toContain('  exit /b 1');
    // No parenthesis inside the block's text, which would end the block early.
    expect(block.slice(1, -1).join('')).not.toMatch(/[()]/);
  });
});
