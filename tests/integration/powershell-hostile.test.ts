// Hostile input through every field that reaches PowerShell, on real pwsh with the lab: each string is
// either refused with a clear error or carried as data, and the canary command never runs.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../../src/main/errors';
import { PrimitiveError } from '../../src/main/powershell/engine';
import { hostileStrings } from '../support/hostile';
import { labForFile, machineState, removeDir } from './lab-fixture';

const canaryDir = mkdtempSync(join(tmpdir(), 'credhop-canary-'));
const canary = join(canaryDir, 'canary-ran');
const strings = hostileStrings(canary);

const lab = labForFile();
afterAll(() => removeDir(canaryDir));

/** One call: must succeed (data) or fail with a clear, typed error; never anything else. */
async function probe(primitive: string, payload: unknown, secrets?: string[]): Promise<'data' | 'refused' | 'failed'> {
  try {
    await lab.run.services.engine()!.call(primitive, payload, z.unknown(), { timeoutMs: 60_000, secrets });
    return 'data';
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const e = error as AppError;
    expect(e.message.length).toBeGreaterThan(5);
    expect(e.message).not.toMatch(/\n\s+at /); // no stack trace
    if (error instanceof PrimitiveError) return error.record.kind === 'invalid-payload' ? 'refused' : 'failed';
    return 'failed';
  }
}

describe(`hostile input (${strings.length} strings) through every field that reaches PowerShell`, () => {
  it('has at least 200 distinct strings', () => {
    expect(strings.length).toBeGreaterThanOrEqual(200);
  });

  // Passwords travel on the secret channel (the payload names them by index): the password field's
  // hostile strings go there, the rest into the payload.
  const fields: [string, (s: string) => [string, unknown, string[]?]][] = [
    ['RemoveDelegation.entries[].value', (s) => ['RemoveDelegation', { list: 'fresh', entries: [{ name: '1', value: s }] }]],
    ['RemoveDelegation.entries[].name', (s) => ['RemoveDelegation', { list: 'fresh', entries: [{ name: s, value: 'wsman/x' }] }]],
['AddDelegation.spn', (s) => ['AddDelegation', { list: 'fresh', spn: s }]],
    ['AddDelegation.list', (s) => ['AddDelegation', { list: s, spn: 'wsman/x.company.pri' }]],
    ['SetWinRMFlag.role', (s) => ['SetWinRMFlag', { role: s, enabled: false }]],
    ['InvokeRemote.computerName', (s) => ['InvokeRemote', { computerName: s, authentication: 'Default', credential: null, script: 'Whoami', arguments: {} }]],
    ['InvokeRemote.script', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: null, script: s, arguments: {} }]],
    ['InvokeRemote.authentication', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: s, credential: null, script: 'Whoami', arguments: {} }]],
    ['InvokeRemote.credential.userName', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: { userName: s, secret: 0 }, script: 'Whoami', arguments: {} }, ['x']]],
    ['InvokeRemote.credential.password (secret channel)', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: { userName: 'COMPANY\\Administrator', secret: 0 }, script: 'Whoami', arguments: {} }, [s]]],
    ['InvokeRemote.credential.secret', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: { userName: 'COMPANY\\Administrator', secret: s }, script: 'Whoami', arguments: {} }, ['x']]],
    ['InvokeRemote.reuseSession', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: null, script: 'Whoami', arguments: {}, reuseSession: s }]],
    ['InvokeRemote.arguments.target', (s) => ['InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: null, script: 'Probe', arguments: { target: s } }]],
  ];

  for (const [name, build] of fields) {
    it(`${name}: refused or carried as data; the canary never runs`, async () => {
      const before = machineState(await lab.run.state());
      const outcomes = { data: 0, refused: 0, failed: 0 };
      const accepted: string[] = [];
      for (const s of strings) {
        const [primitive, payload, secrets] = build(s);
        const outcome = await probe(primitive, payload, secrets);
        outcomes[outcome] += 1;
        if (outcome === 'data') accepted.push(s);
        expect(existsSync(canary), `canary ran for ${JSON.stringify(s).slice(0, 80)}`).toBe(false);
      }
      expect(outcomes.data + outcomes.refused + outcomes.failed).toBe(strings.length);
      if (name === 'AddDelegation.spn') {
        // The only values carried as data here are well-formed SPNs (a wildcard such as wsman/* is one).
        for (const s of accepted) expect(s).toMatch(/^wsman\/(\*|(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*)$/i);
        await lab.run.hop.readClient(); // still answers
      } else if (name.startsWith('RemoveDelegation')) {
        // Any value is a value to look for; none matches an entry, so nothing is removed.
        expect(machineState(await lab.run.state())).toEqual(before);
      } else if (!name.startsWith('InvokeRemote')) {
        expect(accepted).toEqual([]);
        expect(machineState(await lab.run.state())).toEqual(before);
      }
    }, 300_000);
  }

  it('a primitive name that is not a plain word never reaches PowerShell', async () => {
    for (const s of strings.slice(0, 50)) {
      await expect(lab.run.services.engine()!.call(s, {}, z.unknown())).rejects.toThrow();
    }
    expect(existsSync(canary)).toBe(false);
  });
});
