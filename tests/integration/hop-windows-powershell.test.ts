// The workstation without PowerShell 7 (tests/lab/windows-powershell-only.json, issue #22): CredHop's own
// shell runs as Windows PowerShell 5.1 there, as do the jump server's default endpoint and every scheduled
// task (the lab's edition personas, tests/lab/src/Editions.ps1). The promise flows under "client 5.1 only
// + jump 5.1": check -> client -> server -> test -> restore with a Unicode account; the jump server by
// address; the scheduled restore run by the tasks with CredHop killed; the secret channel with
// PowerShell's logging on. (Client 7.6 + jump 5.1 is every other integration file; client 7.4 + jump 5.1 is
// every managed-workstation test.)
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HopTarget } from '../../src/main/hop/engine';
import type { LabFile } from '../support/labs';
import { findSecret, startLoggedPowerShell, type LoggedPowerShell } from '../support/ps-logging';
import { ARTICLE, labsForEachTest, machineState, removeDir } from './lab-fixture';

const { lab, track } = labsForEachTest();
const ONLY51 = 'tests/lab/windows-powershell-only.json';
const HOUR = 3600;
const PERSON = { account: 'COMPANY\\jürgen.müller', password: 'Jürgen-Pässwort-$(x)-51' };

/** The lab file with one more account, known only by a salted hash, administrator of both servers. */
function only51(): LabFile {
  const file = JSON.parse(readFileSync(ONLY51, 'utf8')) as LabFile & { accounts: unknown[]; hosts: { name: string; admins?: string[] }[] };
  const salt = 'ed22-';
  file.accounts.push({ name: PERSON.account, salt, passwordSha256: createHash('sha256').update(salt + PERSON.password, 'utf8').digest('hex') });
  for (const h of file.hosts) if (h.name !== 'ws2') h.admins = ['COMPANY\\Administrator', PERSON.account];
  return file;
}

let root: string;
let logged: LoggedPowerShell;
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'credhop-ps51-'));
  logged = await startLoggedPowerShell(join(root, 'powershell-logging'));
});
afterAll(async () => {
  await logged?.dispose();
  if (root) removeDir(root);
});

describe('the client\'s edition, as CredHop reads it ($PSVersionTable through PowerShellEngine.info())', () => {
  it('the managed workstation\'s CredHop runs in PowerShell 7.4 LTS', async () => {
    expect(await lab('tests/lab/managed-workstation.json').services.engine()!.info()).toEqual({ version: '7.4.6', edition: 'Core' });
  }, 120_000);
});

describe('a workstation whose only PowerShell is Windows PowerShell 5.1 (jump server endpoint and tasks 5.1)', () => {
  it('CredHop\'s shell is 5.1; a Unicode account: check, client, server, the CredSSP test and restore, exactly', async () => {
    const run = lab(only51());
    expect(await run.services.engine()!.info()).toEqual({ version: '5.1.19041.4648', edition: 'Desktop' });
    const before = machineState(await run.state());
    const target: HopTarget = { ...ARTICLE, account: PERSON.account };
    const cred = { userName: PERSON.account, password: PERSON.password };
    const checked = await run.hop.check(target, cred);
    expect(checked.diagnosis).toBeUndefined();
    expect(checked.plan!.blockers).toEqual([]);
    const session = run.hop.beginSession(target, checked.snapshot!, 60);
    expect((await run.hop.apply('client', target, checked.plan!, session, cred)).verified).toBe(true);
    expect((await run.hop.apply('server', target, checked.plan!, session, cred)).verified).toBe(true);
    const tested = await run.hop.test(target, cred, 'credssp');
    expect(tested.ok).toBe(true);
    expect(JSON.stringify(tested.output)).toContain(JSON.stringify(PERSON.account.toLowerCase()).slice(1, -1));
    const restored = await run.hop.restoreAll(() => cred, 'test');
    expect(restored.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  }, 300_000);

  it('by address, logging on: the safety net\'s 5.1 tasks put both machines back with CredHop killed; the password is in no log', async () => {
    const run = lab(only51(), undefined, { configuredPowerShell: logged.executable });
    const before = machineState(await run.state());
    const byAddress: HopTarget = { ...ARTICLE, profileId: '00000000-0000-4000-8000-000000000051', profileName: 'adfs1 by address', jumpServer: '192.168.20.11', account: PERSON.account };
    const cred = { userName: PERSON.account, password: PERSON.password };
    const first = await run.hop.check(byAddress, cred, { ntlmOnlyConfirmed: true });
    expect(first.diagnosis?.id).toBe('trusted-hosts');
    expect((await run.hop.trustJumpServer(byAddress, first.client!)).safetyNet?.host).toBe('ws2');
    const checked = await run.hop.check(byAddress, cred, { ntlmOnlyConfirmed: true });
    expect(checked.plan!.blockers).toEqual([]);
    const session = run.hop.beginSession(byAddress, checked.snapshot!, 60);
    expect((await run.hop.apply('client', byAddress, checked.plan!, session, cred)).verified).toBe(true);
    expect((await run.hop.apply('server', byAddress, checked.plan!, session, cred)).verified).toBe(true);
    expect((await run.hop.test(byAddress, cred, 'credssp')).ok).toBe(true);
    await run.dispose();
    // CredHop is gone; the tasks (powershell.exe: 5.1) run from the module copies they carry.
    const after = track(run.restart());
    const moved = await after.moveClock('ws2', 2 * HOUR);
    expect(moved.ran.map((r) => r.result), JSON.stringify(moved.ran)).toEqual([0, 0]);
    expect((await after.moveClock('adfs1', 2 * HOUR)).ran.map((r) => r.result)).toEqual([0]);
    expect(machineState(await after.state())).toEqual(before);
    for (const f of logged.logFiles()) expect(findSecret(f.bytes, PERSON.password), f.path).toEqual([]);
    expect(logged.logFiles().length).toBeGreaterThan(0); // transcription did record CredHop's shell
  }, 300_000);
});

