// Every primitive of CredHop's module through node-powershell on real pwsh, the lab standing in for
// Windows; and what the engine promises around them: a restart keeps the lab, timeouts and
// cancellation stop a call, and the password leaves no trace.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hostState } from '../../src/shared/domain/hop';
import { AppError } from '../../src/main/errors';
import { PrimitiveError } from '../../src/main/powershell/engine';
import { CANARY, labForFile, machineState } from './lab-fixture';

const lab = labForFile();

const ps = () => lab.run.services.engine()!;
const list = z.object({ keyExists: z.boolean(), allow: z.number().nullable(), concatenate: z.number().nullable(), listKeyExists: z.boolean(), entries: z.array(z.object({ name: z.string(), value: z.string() })) });

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('the module\'s primitives through node-powershell', () => {
  it('GetHostState reads both flags, both lists in both stores, elevation and identity', async () => {
    const s = await ps().call('GetHostState', {}, hostState);
    expect(s).toMatchObject({ computerName: 'dc1', isElevated: true, winrm: { clientCredSSP: false, serviceCredSSP: false } });
    expect(s.delegation.fresh.local.entries).toEqual([]);
  });

  it('GetCredSSPView returns the familiar two lines', async () => {
    const v = await ps().call('GetCredSSPView', {}, z.object({ lines: z.array(z.string()) }));
    expect(v.lines).toEqual([
      'The machine is not configured to allow delegating fresh credentials.',
      'This computer is not configured to receive credentials from a remote client computer.',
    ]);
  });

  it('AddDelegation, RemoveDelegation and SetDelegationFlags change exactly what they are told', async () => {
    const before = machineState(await lab.run.state());
    const added = await ps().call('AddDelegation', { list: 'fresh', spn: 'wsman/adfs1.company.pri' }, z.object({ added: z.boolean(), valueName: z.string() }));
    expect(added).toEqual({ added: true, valueName: '1' });
    expect(await ps().call('AddDelegation', { list: 'fresh', spn: 'WSMAN/ADFS1.company.pri' }, z.object({ added: z.boolean() }).passthrough())).toMatchObject({ added: false });
    const removed = await ps().call('RemoveDelegation', { list: 'fresh', entries: [{ name: '1', value: 'wsman/adfs1.company.pri' }, { name: '7', value: 'wsman/none' }] }, z.object({ removed: z.array(z.unknown()), missing: z.array(z.unknown()) }));
    expect(removed.removed).toHaveLength(1);
    expect(removed.missing).toEqual([{ name: '7', value: 'wsman/none' }]);
    const flags = await ps().call('SetDelegationFlags', { list: 'fresh', allow: null, concatenate: null, removeEmptyListKey: true, removeEmptyKey: true }, z.object({ effective: list, local: list }));
    expect(flags.effective).toMatchObject({ allow: null, concatenate: null, entries: [] });
    expect(machineState(await lab.run.state())).toEqual(before);
  });

  it('SetWinRMFlag sets one flag and reads it back', async () => {
    const r = await ps().call('SetWinRMFlag', { role: 'client', enabled: true }, z.object({ before: z.boolean().nullable(), after: z.boolean().nullable() }));
    expect(r).toEqual({ before: false, after: true });
    await ps().call('SetWinRMFlag', { role: 'client', enabled: false }, z.unknown());
  });

  it('InvokeRemote runs a catalogued script remotely and returns errors as data', async () => {
    const ok = await ps().call('InvokeRemote', { computerName: 'adfs1.company.pri', authentication: 'Default', credential: null, script: 'Whoami', arguments: {} }, z.object({ output: z.array(z.unknown()), errors: z.array(z.unknown()) }));
    expect(ok.output[0]).toMatchObject({ computerName: expect.stringMatching(/adfs1/i) });
    const bad = await ps().call('InvokeRemote', { computerName: 'nosuch.company.pri', authentication: 'Default', credential: null, script: 'Whoami', arguments: {} }, z.object({ output: z.array(z.unknown()), errors: z.array(z.object({ errorCode: z.number().nullable(), fullyQualifiedErrorId: z.string() }).passthrough()) }));
    expect(bad.errors[0]).toMatchObject({ errorCode: -2144108103, fullyQualifiedErrorId: expect.stringMatching(/^ComputerNotFound,PSSessionStateBroken/) });
  });

  it('InvokeRemote keeps one management session per host when asked, and replaces it when it broke', async () => {
    const remote = (reuseSession: boolean) =>
      ps().call('InvokeRemote', { computerName: 'adfs1.company.pri', authentication: 'Default', credential: null, script: 'ReadServerState', arguments: {}, reuseSession }, z.object({ output: z.array(z.unknown()), errors: z.array(z.unknown()) }));
    const connections = async () => (await lab.run.state()).counters.connections.adfs1 ?? 0;
    const start = await connections();
    for (let i = 0; i < 3; i += 1) expect((await remote(true)).errors).toEqual([]);
    expect(await connections()).toBe(start + 1); // three calls, one connection
    await remote(false);
    expect(await connections()).toBe(start + 2); // without reuse, a connection per call
    await lab.run.setHost('adfs1', { reachable: false });
    const down = await remote(true);
    expect(down.errors.length).toBeGreaterThan(0); // the kept session broke, and a new one could not open
    await lab.run.setHost('adfs1', { reachable: true });
    expect((await remote(true)).errors).toEqual([]); // a fresh session, transparently
    await expect(ps().call('InvokeRemote', { computerName: 'adfs1.company.pri', authentication: 'CredSSP', credential: { userName: 'COMPANY\\Administrator', secret: 0 }, script: 'Whoami', arguments: {}, reuseSession: true }, z.unknown(), { secrets: ['x'] }))
      .rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/not allowed with CredSSP/) });
  });

  it('RefreshPolicy runs a Group Policy refresh', async () => {
    expect(await ps().call('RefreshPolicy', {}, z.object({ exitCode: z.number() }))).toEqual({ exitCode: 0 });
  });

  it('an unknown primitive and a malformed payload are refused with clear words', async () => {
    await expect(ps().call('FormatDisk', {}, z.unknown())).rejects.toSatisfy((e: unknown) => e instanceof PrimitiveError && /FormatDisk|primitive/i.test(e.message));
    await expect(ps().call('AddDelegation', { list: 'fresh' }, z.unknown())).rejects.toMatchObject({ code: 'refused' });
    await expect(ps().call('SetWinRMFlag', { role: 'client', enabled: 'yes' }, z.unknown())).rejects.toMatchObject({ code: 'refused' });
  });
});

describe('the engine around the primitives', () => {
  it('restarts PowerShell after it dies and finds the lab as it was (module and lab re-imported)', async () => {
    await ps().call('SetWinRMFlag', { role: 'client', enabled: true }, z.unknown());
    process.kill(ps().shell.pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    const s = await ps().call('GetHostState', {}, hostState);
    expect(s.winrm.clientCredSSP).toBe(true); // not reset by the restart
    expect(ps().shell.processesStarted).toBe(2);
    await ps().call('SetWinRMFlag', { role: 'client', enabled: false }, z.unknown());
  });

  it('stops a remote call that outlives its timeout, then answers the next one', async () => {
    const error = await ps().call('InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: null, script: 'ProbeExplicit', arguments: { target: 'mem2', command: 'Start-Sleep -Seconds 30', targetCredential: { userName: 'COMPANY\\Administrator', secret: 0 } } }, z.unknown(), { timeoutMs: 2500, secrets: ['x'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('timeout');
    expect((await ps().call('GetHostState', {}, hostState)).computerName).toBe('dc1');
  });

  it('cancels a running call', async () => {
    const controller = new AbortController();
    const pending = ps().call('InvokeRemote', { computerName: 'adfs1', authentication: 'Default', credential: null, script: 'ProbeExplicit', arguments: { target: 'mem2', command: 'Start-Sleep -Seconds 30', targetCredential: { userName: 'COMPANY\\Administrator', secret: 0 } } }, z.unknown(), { signal: controller.signal, secrets: ['x'] });
    setTimeout(() => controller.abort(), 1000);
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    expect((await ps().call('GetHostState', {}, hostState)).computerName).toBe('dc1');
  });

  it('leaves no trace of the password: not in node-powershell\'s history, any answer, or any file', async () => {
    const answer = await ps().call('InvokeRemote', { computerName: 'adfs1.company.pri', authentication: 'CredSSP', credential: { userName: 'COMPANY\\Administrator', secret: 0 }, script: 'Whoami', arguments: {} }, z.unknown(), { secrets: [CANARY] });
    expect(JSON.stringify(answer)).not.toContain('Canary');
    const history = Reflect.get(Reflect.get(ps().shell, 'live') ?? {}, 'ps') as { history?: unknown[] } | undefined;
    expect(history?.history ?? []).toEqual([]);
    for (const file of filesUnder(lab.run.dir)) {
      const text = readFileSync(file).toString('latin1');
      expect(text.includes('Canary'), file).toBe(false);
      expect(text.includes(Buffer.from(CANARY).toString('base64')), file).toBe(false);
    }
  });
});
