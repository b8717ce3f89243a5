// The credhop command line over the same engine as the app. Progress goes to stderr so that --json
// output on stdout stays machine-readable. Exit codes: 0 ok, 1 diagnosed failure, 2 refused input,
// 3 internal error.
import { isAppError } from '../main/errors';
import type { CheckResult, Credential, HopEngine, HopTarget } from '../main/hop/engine';
import { createMainServices, type MainServices } from '../main/services';
import { doctorLines, runDoctor } from '../main/env/doctor';
import { PrimitiveError } from '../main/powershell/engine';
import { PRACTICE_PASSWORD, PRACTICE_TARGET } from '../main/hop/practice';
import { HELP, parseArgs, type CliArgs } from './args';
import { passwordsFromStdin, sameAccount } from './passwords';
import { scanCommand } from './scan';
import { runbook, runbookFileName } from '../main/hop/runbook';
import { writeFileSync } from 'node:fs';
import { appLayout, practiceEstate } from '../main/paths';
import { CREDHOP_VERSION } from '../main/version';
import { diagnosisLines, planLines, restoreLines, safetyNetLine, sessionLines, stateLines, testLines } from './report';

export const EXIT = { ok: 0, diagnosed: 1, refused: 2, internal: 3 } as const;

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard input, read once (for --password-stdin). */
  readStdin(): Promise<string>;
}

export interface CliEnv {
  dataDir: string;
  /** The folder with resources/ and tests/lab (the source tree or the installed package). */
  root: string;
  /** True in the installed app (CredHop.exe --cli): its files sit under resources/. */
  packaged?: boolean;
}

class Refused extends Error {}

export async function runCli(argv: readonly string[], io: CliIo, env: CliEnv): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    io.stderr(`credhop: ${parsed.message}\n`);
    return EXIT.refused;
  }
  const args = parsed.args;
  if (args.command === 'help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (args.command === 'version') {
    io.stdout(args.json ? `${JSON.stringify({ version: CREDHOP_VERSION })}\n` : `credhop ${CREDHOP_VERSION} (the CredHop app and its command line)\n`);
    return EXIT.ok;
  }
  const services = createMainServices({
    dataDir: env.dataDir,
    root: env.root,
    packaged: env.packaged ?? false,
    // A practice scan reads the practice estate, afresh each time.
    practice: args.practice
      ? args.command === 'scan' && args.lab === null
        ? { labFile: practiceEstate(appLayout(env.root)).labFile, reset: true, stateDirName: 'estate-state' }
        : { labFile: args.lab ?? undefined, reset: args.command === 'practice' }
      : false,
    configuredPowerShell: args.pwsh ?? undefined,
  });
  const progress = (message: string) => {
    if (!args.json) io.stderr(`  … ${message}\n`);
  };
  const out = (lines: string[], json: unknown) => io.stdout(args.json ? `${JSON.stringify(json)}\n` : `${lines.join('\n')}\n`);
  try {
    if (args.practice && !args.json) io.stderr('PRACTICE MODE: running against the simulated lab, no real machine is touched.\n');
    if (args.command === 'doctor') {
      const report = await runDoctor({
        platform: process.platform,
        dataDir: services.dataDir,
        practiceMode: services.practiceMode,
        layout: services.layout,
        powershell: services.powershell,
        powershellSkipped: services.powershellSkipped,
        configuredPowerShell: args.pwsh ?? undefined,
        engine: services.engine,
        hop: services.hop,
        vault: services.profiles.vault,
      });
      out(doctorLines(report), report);
      return report.ok ? EXIT.ok : EXIT.diagnosed;
    }
    if (args.command === 'status' && !services.practiceMode && process.platform !== 'win32') {
      io.stderr('credhop: real mode needs Windows: CredSSP, WinRM and the policies CredHop changes exist only there.\n  To learn the flow on this machine, add --practice (for example `credhop status --practice`), or run `credhop practice`.\n');
      return EXIT.diagnosed;
    }
    const hop = services.hop();
    if (!hop) {
      io.stderr('credhop: no PowerShell was found. Run `bash scripts/setup.sh`, or pass --pwsh <path>.\n');
      return EXIT.diagnosed;
    }
    if (args.command === 'practice') return await practice(args, hop, services, io, out, progress);
    if (args.command === 'scan') return await scanCommand(args, services, io);
    if (args.command === 'audit') {
      io.stdout(hop.audit.export());
      return EXIT.ok;
    }
    if (args.command !== 'journal') {
      // The time box: whatever expired while CredHop was not running is restored now, and said so.
      const restored = await services.startTimebox();
      if (restored) {
        const header = restored.sessions.some((s) => s.safetyNet) ? 'credhop: restored while CredHop was not running:' : 'credhop: changes passed their time box and were restored:';
        io.stderr(`${header}\n${restoreLines(restored).join('\n')}\n`);
      }
    }
    switch (args.command) {
      case 'status': {
        const client = await hop.readClient();
        const open = hop.openSessions();
        out([...stateLines('This computer:', client), ...sessionLines(open)], { client, open: open.map((s) => ({ session: s.begin.session, profile: s.begin.profileName, jumpServer: s.begin.jumpServer, expiresAt: s.begin.expiresAt, changes: s.intents.map((i) => i.change) })) });
        return EXIT.ok;
      }
      case 'journal': {
        const open = hop.openSessions();
        out(sessionLines(open), { open: open.map((s) => ({ session: s.begin.session, profile: s.begin.profileName, jumpServer: s.begin.jumpServer, at: s.begin.at, expiresAt: s.begin.expiresAt, changes: s.intents.map((i) => i.change) })) });
        return EXIT.ok;
      }
      case 'restore': {
        const { credential } = await credentialsFor(args, io, services, false);
        const report = await hop.restoreAll(() => credential, 'user', { progress });
        out(restoreLines(report), report);
        return report.clean ? EXIT.ok : EXIT.diagnosed;
      }
      case 'check':
      case 'plan':
      case 'apply': {
        const target = await targetFrom(args, services);
        const { credential } = await credentialsFor(args, io, services, false, target);
        const notes: string[] = [];
        const checked = await checkTrusting(args, hop, target, credential, progress, (l) => notes.push(...l));
        if (!checked.plan || !checked.snapshot) {
          out(checked.diagnosis ? [...diagnosisLines(checked.diagnosis), ...trustHint(args, checked)] : ['The check could not complete.'], checked);
          return EXIT.diagnosed;
        }
        if (notes.length > 0 && !args.json) io.stdout(`${notes.join('\n')}\n`);
        if (args.command !== 'apply' || checked.plan.blockers.length > 0) {
          out([...planLines(checked.plan), '', ...stateLines('This computer:', checked.snapshot.client)], checked);
          return checked.plan.blockers.length > 0 ? EXIT.diagnosed : EXIT.ok;
        }
        if (checked.plan.changes.length === 0) {
          out(planLines(checked.plan), { session: null, results: [], plan: checked.plan });
          return EXIT.ok;
        }
        const session = hop.beginSession(target, checked.snapshot, args.timebox);
        const results = [];
        for (const step of args.step === 'both' ? (['client', 'server'] as const) : [args.step]) {
          results.push(await hop.apply(step, target, checked.plan, session, credential, { progress }));
        }
        const verified = results.every((r) => r.verified);
        out([
          ...planLines(checked.plan),
          verified ? 'Applied and verified.' : 'Applied, but the state read back differs from the plan.',
          safetyNetLine(results.flatMap((r) => (r.safetyNet ? [r.safetyNet] : [])), args.timebox),
        ], { session, results, plan: checked.plan });
        return verified ? EXIT.ok : EXIT.diagnosed;
      }
      case 'runbook': {
        const target = await targetFrom(args, services);
        const { credential } = await credentialsFor(args, io, services, false, target);
        const checked = await hop.check(target, credential, { ...planOptions(args), progress });
        if (!checked.plan || !checked.snapshot) {
          out(checked.diagnosis ? [...diagnosisLines(checked.diagnosis), 'No runbook was written.'] : ['The check could not complete. No runbook was written.'], checked);
          return EXIT.diagnosed;
        }
        const content = runbook(checked.plan, checked.snapshot, new Date().toISOString(), { account: target.account });
        const blocked = checked.plan.blockers.length > 0;
        if (args.out === null) {
          // Printed for a pipe or a redirection; --json wraps it.
          if (args.json) out([], { content, suggestedFileName: runbookFileName(target.profileName), blockers: checked.plan.blockers });
          else io.stdout(content.endsWith('\n') ? content : `${content}\r\n`);
        } else {
          writeRunbookFile(args.out, content);
          out([
            `Wrote ${args.out}: ${checked.plan.changes.length} change(s) for ${target.jumpServer} -> ${target.target}.`,
            blocked ? `Blocked: ${checked.plan.blockers[0]!.message} The runbook stops before changing anything.` : `Read it, then run it in an elevated PowerShell on this computer; run it again with -Restore to put back exactly what it changed.`,
          ], { file: args.out, changes: checked.plan.changes.length, blockers: checked.plan.blockers });
        }
        return blocked ? EXIT.diagnosed : EXIT.ok;
      }
      case 'test': {
        const target = await targetFrom(args, services);
        const { credential, targetCredential } = await credentialsFor(args, io, services, !args.explicit, target, args.explicit);
        const result = await hop.test(target, credential, args.explicit ? 'explicit' : 'credssp', { progress, targetCredential });
        out(testLines(result), result);
        return result.ok ? EXIT.ok : EXIT.diagnosed;
      }
    }
    return EXIT.refused;
  } catch (error) {
    if (error instanceof Refused) {
      io.stderr(`credhop: ${error.message}\n`);
      return EXIT.refused;
    }
    if (isAppError(error)) {
      const message = error instanceof PrimitiveError && error.record.kind === 'invalid-payload' ? refusedValue(error.record.message, args) : error.message;
      const hint = error.hint ? cliHint(error.hint) : '';
      io.stderr(`credhop: ${message}${hint ? `\n  ${hint}` : ''}\n`);
      return error.code === 'refused' || error.code === 'invalid-request' ? EXIT.refused : EXIT.diagnosed;
    }
    io.stderr('credhop: an internal error stopped the command. Run "credhop restore" to put back anything already changed.\n');
    return EXIT.internal;
  } finally {
    await services.dispose();
  }
}

/**
 * Writes the runbook as a new file (never over one: 'wx'), UTF-8 with a byte order mark so that
 * Windows PowerShell 5.1 reads any non-ASCII name in it as written (without one it reads the file as ANSI).
 */
function writeRunbookFile(file: string, content: string): void {
  try {
    writeFileSync(file, `\uFEFF${content}`, { encoding: 'utf8', flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Refused(code === 'EEXIST' ? `--out: "${file}" already exists; nothing was written. Name another file, or move that one away.` : `--out: could not write "${file}" (${code ?? 'error'}); nothing was written. Name a file in a folder you can write to.`);
  }
}

/** A hint written for the wizard, in the command line's words (a command, not a button). */
export function cliHint(hint: string): string {
  return hint
    .replace(/Clean up now puts back/g, '`credhop restore` puts back')
    .replace(/\bClean up now\b/g, '`credhop restore`')
    .replace(/Enter it in the profile step[^.]*\./g, 'Pass it with --password-stdin.')
    .replace(/See the Check step for what to install\./g, 'Run `credhop doctor` for what to install.');
}

/** The module's field names, and the option each value came from. */
const FIELD_OPTIONS: [RegExp, (args: CliArgs) => string][] = [
  [/^payload\.spn\b/, (a) => (a.wildcard ? '--wildcard' : '--jump')],
  [/^payload\.computerName\b/, () => '--jump'],
  [/^payload\.(arguments\.)?target\b/, () => '--target'],
  [/^payload\.(arguments\.)?command\b/, () => '--probe'],
  [/^payload\.(arguments\.target)?[cC]redential\b/, (a) => (a.targetAccount ? '--target-account' : '--account')],
];

/** A value the PowerShell module refused, said with the option it came from. */
export function refusedValue(message: string, args: CliArgs): string {
  for (const [field, option] of FIELD_OPTIONS) {
    if (field.test(message)) return `${option(args)}: the value was refused: ${message.replace(/^payload\.[A-Za-z.[\]0-9]+:\s*/, '')}`;
  }
  return message;
}

/**
 * The check, with its own TrustedHosts fix for a jump server given by address or signed in with one of its
 * local accounts (see
 * HopEngine.trustJumpServer): `apply` and `practice` apply it when --confirm-ntlm-only confirmed the
 * warning, in its own journaled session that `credhop restore` undoes, and check again; `check` and
 * `plan` never change anything and say how to go on instead.
 */
async function checkTrusting(args: CliArgs, hop: HopEngine, target: HopTarget, credential: Credential | null, progress: (m: string) => void, say: (lines: string[]) => void): Promise<CheckResult> {
  const first = await hop.check(target, credential, { ...planOptions(args), progress });
  const d = first.diagnosis;
  const canTrust = !first.snapshot && first.client && d?.fixable === true && d.fixChange?.kind === 'trusted-hosts';
  if (!canTrust || !args.confirmNtlm || (args.command !== 'apply' && args.command !== 'practice')) return first;
  const r = await hop.trustJumpServer(target, first.client!, args.timebox, { progress });
  const started = r.applied.some((a) => a.change.kind === 'winrm-service');
  say([`Added ${target.jumpServer} to this computer's TrustedHosts${started ? ' (WinRM started for it)' : ''}, as --confirm-ntlm-only confirmed; "credhop restore" ${started ? 'puts both back' : 'takes it out again'}.`]);
  return hop.check(target, credential, { ...planOptions(args), progress });
}

/** How to go on from the check's TrustedHosts diagnosis on the command line. */
function trustHint(args: CliArgs, checked: CheckResult): string[] {
  const d = checked.diagnosis;
  if (!d?.fixable || d.fixChange?.kind !== 'trusted-hosts') return [];
  return [`Nothing was changed. The fix adds exactly ${d.fixChange.entry} to TrustedHosts and the NTLM-only entry, only with --confirm-ntlm-only: read the warning above first${args.command === 'practice' ? ' ("credhop practice ... --confirm-ntlm-only" works too)' : ''}.`];
}

function planOptions(args: CliArgs) {
  return {
    ...(args.wildcard ? { wildcard: { spn: args.wildcard, confirmed: args.confirmWildcard } } : {}),
    ntlmOnlyConfirmed: args.confirmNtlm,
  };
}

async function targetFrom(args: CliArgs, services: MainServices): Promise<HopTarget> {
  if (args.profile) {
    const profiles = await services.profiles.store.list();
    const profile = profiles.find((p) => p.name.toLowerCase() === args.profile!.toLowerCase());
    if (!profile) throw new Refused(`no saved profile is called "${args.profile}".`);
    return {
      profileId: profile.id,
      profileName: profile.name,
      jumpServer: args.jump ?? profile.jumpServerConnectAs,
      target: args.target ?? profile.target,
      account: args.account ?? profile.jumpAccount,
      targetAccount: args.targetAccount ?? profile.targetAccount ?? undefined,
      probe: args.probe ?? profile.probeCommand,
    };
  }
  const practice = services.practiceMode;
  const jumpServer = args.jump ?? (practice ? PRACTICE_TARGET.jumpServer : null);
  const target = args.target ?? (practice ? PRACTICE_TARGET.target : null);
  const account = args.account ?? (practice ? PRACTICE_TARGET.account : null);
  if (!jumpServer || !target || !account) throw new Refused('name a saved --profile, or give --jump, --target and --account.');
  return { profileId: 'command-line', profileName: `${account} via ${jumpServer} to ${target}`, jumpServer, target, account, targetAccount: args.targetAccount ?? undefined, probe: args.probe ?? undefined };
}

/**
 * The passwords of this run: from standard input (one line per account, jump first), or practice
 * mode's own. The target account's is read only when --target-account (or the profile) names another.
 */
async function credentialsFor(args: CliArgs, io: CliIo, services: MainServices, required: boolean, target?: HopTarget, targetNeeded = false): Promise<{ credential: Credential | null; targetCredential: Credential | null }> {
  const userName = target?.account ?? args.account ?? (services.practiceMode ? PRACTICE_TARGET.account : null);
  const targetAccount = target?.targetAccount ?? args.targetAccount ?? null;
  if (args.passwordStdin) {
    if (!userName) throw new Refused('--password-stdin needs --account (or a --profile).');
    const read = passwordsFromStdin(await io.readStdin(), { jump: userName, target: targetAccount, targetNeeded });
    if (!read.ok) throw new Refused(read.message);
    return {
      credential: { userName, password: read.jump },
      targetCredential: targetAccount && read.target !== null ? { userName: targetAccount, password: read.target } : null,
    };
  }
  if (services.practiceMode && userName) {
    const separate = targetAccount !== null && !sameAccount(targetAccount, userName);
    return { credential: { userName, password: PRACTICE_PASSWORD }, targetCredential: separate ? { userName: targetAccount, password: PRACTICE_PASSWORD } : null };
  }
  if (required) throw new Refused('CredSSP needs the account\'s password: pass it with --password-stdin.');
  if (targetNeeded && targetAccount !== null && !sameAccount(targetAccount, userName ?? '')) {
    throw new Refused(`The explicit test needs the password of ${targetAccount}: pass both passwords with --password-stdin (the jump server account's first).`);
  }
  return { credential: null, targetCredential: null };
}

async function practice(args: CliArgs, hop: HopEngine, services: MainServices, io: CliIo, out: (l: string[], j: unknown) => void, progress: (m: string) => void): Promise<number> {
  const target = await targetFrom(args, services);
  const { credential, targetCredential } = await credentialsFor(args, io, services, true, target);
  const lines: string[] = [];
  const say = (l: string[]) => {
    lines.push(...l);
    if (!args.json) io.stdout(`${l.join('\n')}\n`);
  };
  const stale = hop.openSessions();
  if (stale.length > 0) {
    const r = await hop.restoreAll(() => credential, 'practice run started', { progress });
    say(['Restored what an earlier practice run left:', ...restoreLines(r)]);
  }
  // The header names the lab's own client (dc1 in the article's lab, ws1 on the managed workstation).
  const here = await hop.readClient();
  say([`PRACTICE: ${target.account} at ${here.computerName} -> ${target.jumpServer} -> ${target.target}`, '', '1/6 Check']);
  const checked = await checkTrusting(args, hop, target, credential, progress, say);
  if (!checked.plan || !checked.snapshot) {
    say(checked.diagnosis ? [...diagnosisLines(checked.diagnosis), ...trustHint(args, checked)] : ['The check could not complete.']);
    if (args.json) out([], { ok: false, checked });
    return EXIT.diagnosed;
  }
  say([...stateLines('Client:', checked.snapshot.client), `Jump server ${checked.snapshot.server.computerName}: WinRM service CredSSP ${checked.snapshot.server.serviceCredSSP}`, ...checked.credSSPView.map((l) => `  Get-WSManCredSSP: ${l}`), '', 'Plan:', ...planLines(checked.plan)]);
  if (checked.plan.blockers.length > 0) {
    if (args.json) out([], { ok: false, checked });
    return EXIT.diagnosed;
  }
  say(['', '2/6 Before: the second hop with plain Kerberos']);
  const before = await hop.test(target, credential, 'kerberos', { progress });
  say(testLines(before));
  const session = hop.beginSession(target, checked.snapshot, args.timebox);
  say(['', '3/6 Configure the client']);
  const client = await hop.apply('client', target, checked.plan, session, credential, { progress });
  say([client.verified ? 'Client configured and verified.' : 'Client configured, but the state read back differs.']);
  say(['', '4/6 Configure the server']);
  const server = await hop.apply('server', target, checked.plan, session, credential, { progress });
  say([server.verified ? 'Server configured and verified.' : 'Server configured, but the state read back differs.']);
  say(['', '5/6 Test the hop with CredSSP']);
  const after = await hop.test(target, credential, 'credssp', { progress, serverCredSSP: server.server?.serviceCredSSP, targetCredential });
  say(testLines(after));
  say(['', '6/6 Restore']);
  const restored = await hop.restoreAll(() => credential, 'practice flow finished', { progress });
  say(restoreLines(restored));
  const ok = after.ok && restored.clean && client.verified && server.verified;
  say(['', ok ? 'Practice complete: the hop worked, and both machines are back exactly as they were.' : 'Practice finished with problems; see above.']);
  if (args.json) out([], { ok, before, client, server, test: after, restore: restored, plan: checked.plan });
  return ok ? EXIT.ok : EXIT.diagnosed;
}
