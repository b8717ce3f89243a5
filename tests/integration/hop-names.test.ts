// Names of real people (issue #11): a German and a non-Latin account go through the whole flow on real
// pwsh and the lab — check, client, server, the CredSSP test, restore — and arrive on the target intact
// (the lab checks each account's password, so a mangled name or a lost password fails the hop). A
// forbidden character is refused by the module too, when a caller skips the TypeScript check.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HopTarget } from '../../src/main/hop/engine';
import { PrimitiveError } from '../../src/main/powershell/engine';
import { articleLab } from '../support/labs';
import { ARTICLE, labsForEachTest, machineState, removeDir } from './lab-fixture';

const { lab } = labsForEachTest();

// Passwords nobody else uses, stored in the lab only as salted SHA-256 (the lab file never holds them).
const PEOPLE = [
  { account: 'COMPANY\\jürgen.müller', password: 'Jürgen-Pässwort-9c2e' },
  { account: 'COMPANY\\Łukasz.Żółć', password: 'Łukasz-hasło-41d7' },
  { account: "COMPANY\\O'Brien", password: "O'Brien-pw-$(x)-7e" },
  { account: 'COMPANY\\山田太郎', password: '山田-パスワード-13ab' },
] as const;

function peopleLab() {
  const salt = 'a2-names-';
  const accounts = [{ name: 'COMPANY\\Administrator' }, ...PEOPLE.map((p) => ({ name: p.account, salt, passwordSha256: createHash('sha256').update(salt + p.password, 'utf8').digest('hex') }))];
  const admins = ['COMPANY\\Administrator', ...PEOPLE.map((p) => p.account)];
  return articleLab({ adfs1: { admins }, mem2: { admins } }, { accounts });
}

describe('accounts named for real people, end to end', () => {
  for (const person of PEOPLE) {
    it(`${person.account}: check, client, server, the CredSSP test and restore; the target sees that account`, async () => {
      const run = lab(peopleLab());
      const before = machineState(await run.state());
      const target: HopTarget = { ...ARTICLE, account: person.account };
      const cred = { userName: person.account, password: person.password };
      const checked = await run.hop.check(target, cred);
      expect(checked.diagnosis).toBeUndefined();
      expect(checked.plan!.blockers).toEqual([]);
      const session = run.hop.beginSession(target, checked.snapshot!);
      expect((await run.hop.apply('client', target, checked.plan!, session, cred)).verified).toBe(true);
      expect((await run.hop.apply('server', target, checked.plan!, session, cred)).verified).toBe(true);
      const tested = await run.hop.test(target, cred, 'credssp');
      expect(tested.diagnosis).toBeUndefined();
      expect(tested.ok).toBe(true);
      expect(JSON.stringify(tested.output)).toContain(JSON.stringify(person.account.toLowerCase()).slice(1, -1));
      // A wrong password for the same name is refused by the lab: the name is checked, not waved through.
      const wrong = await run.hop.test(target, { ...cred, password: `${person.password}x` }, 'credssp');
      expect(wrong.ok).toBe(false);
      expect(wrong.errors[0]?.errorCode).toBe(1326);
      const restored = await run.hop.restoreAll(() => cred, 'test');
      expect(restored.clean).toBe(true);
      expect(machineState(await run.state())).toEqual(before);
      // The password is nowhere in what the lab kept.
      expect(JSON.stringify(await run.state())).not.toContain(person.password);
    }, 240_000);
  }
});

describe('a forbidden character in the account', () => {
  it('is refused by the module as well, in plain words, before anything is read or changed', async () => {
    // The engine trusts its caller (the wizard and the CLI check first); the module checks again.
    const run = lab(peopleLab());
    // Each host's clock (the lab's Task Scheduler time) moves with real time; everything else must stay.
    const still = async () => JSON.parse(JSON.stringify(await run.state(), (k, v: unknown) => (k === 'clock' ? undefined : v))) as unknown;
    const before = await still();
    const bad = 'COMPANY\\a+b';
    const error = await run.hop.check({ ...ARTICLE, account: bad }, { userName: bad, password: 'Forbidden-Canary-3f1a' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrimitiveError);
    const refused = error as PrimitiveError;
    expect(refused.record.kind).toBe('invalid-payload');
    expect(refused.code).toBe('refused');
    expect(refused.message).toMatch(/userName: expected DOMAIN\\user or user@domain\.tld, without " \/ \[ \] : ; \| = , \+ \* \? < >/);
    expect(refused.message).not.toContain('Forbidden-Canary');
    expect(refused.hint).toBe('Correct the value and try again.');
    expect(run.hop.openSessions()).toEqual([]);
    expect(await still()).toEqual(before); // nothing read and changed, not even a connection counted
  }, 120_000);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

describe('the command line, with a German account', () => {
  it('practice --account COMPANY\\jürgen.müller --password-stdin: the whole flow, restored; a forbidden character is refused with exit code 2', () => {
    if (!existsSync('out/main/cli.js')) throw new Error('The CLI is not built: run `npm run build` (scripts/setup.sh does) first.');
    const dir = mkdtempSync(join(tmpdir(), 'credhop-cli-names-'));
    try {
      const labFile = join(dir, 'people-lab.json');
      writeFileSync(labFile, JSON.stringify(peopleLab(), null, 2));
      const dataDir = join(dir, 'data');
      const env = { ...process.env, CREDHOP_DATA_DIR: dataDir };
      const jurgen = PEOPLE[0];
      const r = spawnSync(process.execPath, ['bin/credhop.cjs', 'practice', '--lab', labFile, '--account', jurgen.account, '--password-stdin'], { env, input: `${jurgen.password}\n`, encoding: 'utf8', timeout: 300_000 });
      expect(r.stdout).toMatch(/The hop works/);
      expect(r.stdout).toContain('"RanAs":"company\\\\jürgen.müller"'); // who the probe ran as on the target, not mangled
      expect(r.stdout).toMatch(/Everything is back as it was/);
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(jurgen.password);
      for (const f of filesUnder(dataDir)) expect(readFileSync(f, 'utf8').includes(jurgen.password), f).toBe(false);

      const refused = spawnSync(process.execPath, ['bin/credhop.cjs', 'check', '--lab', labFile, '--account', 'COMPANY\\a+b'], { env, encoding: 'utf8', timeout: 120_000 });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/--account: .*"\+"/);
    } finally {
      removeDir(dir);
    }
  }, 300_000);
});
