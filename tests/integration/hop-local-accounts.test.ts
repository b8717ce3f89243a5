// The article's first reader comment, end to end: ADFS1\Administrator (a local account of the jump server)
// to adfs1, MEM2\Administrator (a local account of the target) to mem2, each with its own password.
// Local accounts have no Kerberos: the check explains that before the plan, CredHop's own connection needs
// adfs1 in this computer's TrustedHosts (by name), CredSSP needs the NTLM-only list, and adfs1's own
// TrustedHosts must list mem2 for the inner NTLM call. Both ways (CredSSP and explicit credentials) must
// reach mem2 as MEM2\Administrator, and restore must leave every machine as it was.
// Real pwsh, the real module, the shipped practice lab (tests/lab/local-accounts.json) with passwords added.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Credential, HopTarget } from '../../src/main/hop/engine';
import type { LabFile } from '../support/labs';
import { labsForEachTest, machineState, removeDir, startLab } from './lab-fixture';

const { lab } = labsForEachTest();
const JUMP_PW = 'Adfs1-Local-P@ss-4c1d';
const TARGET_PW = 'Mem2-Local-P@ss-9e7b';
const JUMP: Credential = { userName: 'ADFS1\\Administrator', password: JUMP_PW };
const TARGET: Credential = { userName: 'MEM2\\Administrator', password: TARGET_PW };
const COMMENT: HopTarget = {
  profileId: '00000000-0000-4000-8000-000000000023',
  profileName: 'The first reader comment',
  jumpServer: 'adfs1.company.pri',
  target: 'mem2.company.pri',
  account: JUMP.userName,
  targetAccount: TARGET.userName,
};

type Host = Record<string, unknown>;
/** The shipped lab, each local Administrator with its own password; `edit` changes a host. */
function localLab(edit?: (hosts: Record<string, Host>) => void): LabFile {
  const file = JSON.parse(readFileSync('tests/lab/local-accounts.json', 'utf8')) as LabFile & { hosts: Host[] };
  const hosts = Object.fromEntries(file.hosts.map((h) => [h['name'] as string, h]));
  (hosts['adfs1']!['localAccounts'] as Host[])[0]!['password'] = JUMP_PW;
  (hosts['mem2']!['localAccounts'] as Host[])[0]!['password'] = TARGET_PW;
  if (edit) edit(hosts);
  return file;
}

/** What the probe reports as its account (the default probe's RanAs). */
function ranAs(output: unknown[]): string[] {
  return output.map((o) => String((o as { RanAs?: unknown }).RanAs ?? o));
}

describe('a local administrator on each machine (the first reader comment)', () => {
  it('explains NTLM before the plan, configures under one confirmation, reaches mem2 as MEM2\\Administrator both ways, and restores exactly', async () => {
    const run = lab(localLab());
    const before = machineState(await run.state());

    // 1. The check: CredHop's own connection with a local account is NTLM, so adfs1 must be in TrustedHosts first.
    const first = await run.hop.check(COMMENT, JUMP);
    expect(first.snapshot).toBeNull();
    expect(first.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: true, fixChange: { kind: 'trusted-hosts', host: 'client', entry: 'adfs1.company.pri' } });
    expect(first.diagnosis!.warning).toMatch(/ADFS1\\Administrator is a local account.*NTLM-only.*TrustedHosts/);
    expect(machineState(await run.state())).toEqual(before);
    expect((await run.hop.trustJumpServer(COMMENT, first.client!)).verified).toBe(true);

    // 2. Unconfirmed, the plan stops on the NTLM-only list with the local account's reason; the notes explain both hops.
    const unconfirmed = await run.hop.check(COMMENT, JUMP);
    expect(unconfirmed.plan!.blockers.map((b) => b.code)).toEqual(['ntlm-only-unconfirmed']);
    expect(unconfirmed.plan!.blockers[0]!.message).toMatch(/ADFS1\\Administrator is a local account of adfs1\.company\.pri, so Windows signs it in with NTLM/);
    const notes = unconfirmed.plan!.risks.join('\n');
    expect(notes).toMatch(/Kerberos cannot sign in a local account.*TrustedHosts must list adfs1\.company\.pri even by name.*NTLM-only.*nobody verifies/);
    expect(notes).toMatch(/MEM2\\Administrator is a local account of mem2\.company\.pri.*adfs1\.company\.pri's own TrustedHosts must list mem2\.company\.pri/);

    // 3. Confirmed: the NTLM-only entry (never the plain list), the client flag and the server flag.
    const checked = await run.hop.check(COMMENT, JUMP, { ntlmOnlyConfirmed: true });
    const plan = checked.plan!;
    expect(plan.blockers).toEqual([]);
    expect(plan.changes.map((c) => c.change)).toEqual([
      { kind: 'add-delegation', host: 'client', list: 'freshNtlm', spn: 'wsman/adfs1.company.pri' },
      { kind: 'client-credssp', host: 'client', enabled: true },
      { kind: 'server-credssp', host: 'server', enabled: true },
    ]);
    expect(checked.snapshot!.server).toMatchObject({ userName: 'adfs1\\administrator', trustedHosts: 'mem2.company.pri' });
    const session = run.hop.beginSession(COMMENT, checked.snapshot!);
    expect((await run.hop.apply('client', COMMENT, plan, session, JUMP)).verified).toBe(true);
    expect((await run.hop.apply('server', COMMENT, plan, session, JUMP)).verified).toBe(true);

    // 4. Both ways reach mem2 as its own local Administrator.
    const credssp = await run.hop.test(COMMENT, JUMP, 'credssp', { targetCredential: TARGET });
    expect(credssp.errors).toEqual([]);
    expect(ranAs(credssp.output)).toEqual(['mem2\\administrator']);
    const explicit = await run.hop.test(COMMENT, JUMP, 'explicit', { targetCredential: TARGET });
    expect(explicit.errors).toEqual([]);
    expect(ranAs(explicit.output)).toEqual(['mem2\\administrator']);

    // 5. A local account of one host is refused on another: ADFS1\Administrator on mem2, by its password too.
    const elsewhere = await run.hop.test(COMMENT, JUMP, 'explicit', { targetCredential: { ...JUMP } });
    expect(elsewhere.ok).toBe(false);
    expect(elsewhere.errors[0]).toMatchObject({ fullyQualifiedErrorId: 'AccessDenied,PSSessionStateBroken', errorCode: 5, origin: 'remote' });
    expect(elsewhere.errors[0]!.message).toMatch(/Connecting to remote server mem2\.company\.pri failed with the following error message : Access is denied\./);

    // 6. Restore: both sessions (the TrustedHosts fix and the configuration); every machine as it was.
    const restored = await run.hop.restoreAll(() => JUMP, 'test');
    expect(restored.sessions.map((s) => s.differences)).toEqual([[], []]);
    expect(restored.clean).toBe(true);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('stops before any change when the jump server\'s own TrustedHosts does not list the target, or the target would get the jump server\'s local account', async () => {
    const run = lab(localLab((h) => { h['adfs1']!['trustedHosts'] = ''; h['dc1']!['trustedHosts'] = 'adfs1.company.pri'; }));
    const before = machineState(await run.state());
    const checked = await run.hop.check(COMMENT, JUMP, { ntlmOnlyConfirmed: true });
    const blocker = checked.plan!.blockers.find((b) => b.code === 'jump-trusted-hosts');
    expect(checked.plan!.blockers.map((b) => b.code)).toEqual(['jump-trusted-hosts']);
    expect(blocker!.message).toMatch(/mem2\.company\.pri is not in adfs1\.company\.pri's own TrustedHosts list \(it is empty\)\. CredHop does not change the jump server's TrustedHosts/);
    expect(blocker!.resolution).toMatch(/Set-Item -Path WSMan:\\localhost\\Client\\TrustedHosts -Value 'mem2\.company\.pri' -Concatenate -Force/);
    expect(blocker!.resolution).not.toMatch(/-Value '\*'/);
    // What the blocker says is what Windows does: the explicit hop fails on adfs1's TrustedHosts.
    const test = await run.hop.test(COMMENT, JUMP, 'explicit', { targetCredential: TARGET });
    expect(test.errors[0]).toMatchObject({ fullyQualifiedErrorId: 'ServerNotTrusted,PSSessionStateBroken', origin: 'remote' });
    expect(test.diagnosis).toMatchObject({ id: 'trusted-hosts', fixable: false });

    // Without a separate target account, ADFS1\Administrator would be used on mem2: refused before any change.
    const { targetAccount: _unused, ...sameAccount } = COMMENT;
    const same = await run.hop.check(sameAccount, JUMP, { ntlmOnlyConfirmed: true });
    expect(same.plan!.blockers.map((b) => b.code)).toEqual(['local-account-elsewhere']);
    expect(same.plan!.blockers[0]!.resolution).toMatch(/MEM2\\Administrator/);
    expect(machineState(await run.state())).toEqual(before);
  });

  it('the command line runs the same scenario both ways with two passwords on stdin, and restores exactly', async () => {
    if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) first.');
    const dataDir = mkdtempSync(join(tmpdir(), 'credhop-cli-local-'));
    const labFile = join(dataDir, 'local-accounts.json');
    writeFileSync(labFile, JSON.stringify(localLab(), null, 2));
    try {
      const who = ['--lab', labFile, '--jump', 'adfs1.company.pri', '--target', 'mem2.company.pri', '--account', JUMP.userName, '--target-account', TARGET.userName, '--password-stdin'];
      const credhop = (args: string[], input = `${JUMP_PW}\n${TARGET_PW}\n`) => {
        const r = spawnSync(process.execPath, ['bin/credhop.cjs', ...args], { env: { ...process.env, CREDHOP_DATA_DIR: dataDir }, input, encoding: 'utf8', timeout: 180_000 });
        return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
      };
      // The lab as it starts, read through the same state folder the command line uses.
      const view = startLab(labFile, dataDir);
      const before = machineState(await view.state());
      await view.dispose();

      const apply = credhop(['apply', ...who, '--confirm-ntlm-only']);
      expect(apply.out).toMatch(/Added adfs1\.company\.pri to this computer's TrustedHosts/);
      expect(apply.out).toMatch(/ADFS1\\Administrator is a local account of adfs1\.company\.pri/);
      expect(apply.code).toBe(0);
      for (const way of [[], ['--explicit']]) {
        const test = credhop(['test', ...who, ...way]);
        expect(test.out).toMatch(/"RanAs":"mem2\\\\administrator"/); // the target's own local Administrator
        expect(test.code).toBe(0);
      }
      const restore = credhop(['restore', '--lab', labFile, '--password-stdin', '--account', JUMP.userName], `${JUMP_PW}\n`);
      expect(restore.code).toBe(0);
      for (const out of [apply.out, restore.out]) expect(out).not.toContain(JUMP_PW);

      const after = startLab(labFile, dataDir);
      try {
        expect(machineState(await after.state())).toEqual(before);
      } finally {
        await after.dispose();
      }
    } finally {
      removeDir(dataDir);
    }
  });
});
