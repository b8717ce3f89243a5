// The command line's words, parsed and validated before anything runs: a bad value is refused with a
// message that says what is wrong, and exit code 2.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkAccount, checkHostName, checkTargetName, checkProbeCommand, PROFILE_LIMITS } from '../shared/domain/profile';
import { SCAN_LIMITS } from '../shared/domain/scan';

export const COMMANDS = ['practice', 'status', 'check', 'plan', 'doctor', 'apply', 'test', 'restore', 'journal', 'audit', 'scan', 'runbook', 'help', 'version'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
  command: Command;
  json: boolean;
  /** Practice mode: `--lab <file>` or the `practice` command. */
  lab: string | null;
  practice: boolean;
  passwordStdin: boolean;
  profile: string | null;
  jump: string | null;
  target: string | null;
  account: string | null;
  targetAccount: string | null;
  probe: string | null;
  step: 'client' | 'server' | 'both';
  timebox: number;
  explicit: boolean;
  wildcard: string | null;
  confirmWildcard: boolean;
  confirmNtlm: boolean;
  pwsh: string | null;
  /** scan: the file of machine names (one a line, or a CSV with a name column). */
  computers: string | null;
  /** scan: how many machines at once (default 32). */
  throttle: number | null;
  /** runbook: the file to write (null: print it). */
  out: string | null;
}

export type Parsed = { ok: true; args: CliArgs } | { ok: false; message: string };

const VALUE_FLAGS = new Set(['--lab', '--profile', '--jump', '--target', '--account', '--target-account', '--probe', '--step', '--timebox', '--wildcard', '--pwsh', '--computers', '--throttle', '--out']);
const BOOL_FLAGS = new Set(['--json', '--password-stdin', '--explicit', '--confirm-wildcard', '--confirm-ntlm-only', '--practice']);
const WILDCARD = /^wsman\/(\*|\*\.[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+)$/i;

export function parseArgs(argv: readonly string[]): Parsed {
  const [first, ...rest] = argv;
  const command = (first ?? 'help') as Command;
  if (first === '--help' || first === '-h') return parseArgs(['help']);
  if (first === '--version' || first === '-V') return parseArgs(['version']);
  if (!COMMANDS.includes(command)) return { ok: false, message: `Unknown command "${printable(first ?? '')}". Run "credhop help" for the list.` };

  const values = new Map<string, string>();
  /** The option as the user spelled it (errors name what was typed). */
  const spelled = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < rest.length; i += 1) {
    const word = rest[i]!;
    const eq = word.indexOf('=');
    const given = word.startsWith('--') && eq > 0 ? word.slice(0, eq) : word;
    // --jump-server is the wizard's word for --jump.
    const name = given === '--jump-server' ? '--jump' : given;
    if (VALUE_FLAGS.has(name)) {
      const value = eq > 0 && word.startsWith('--') ? word.slice(eq + 1) : rest[++i];
      if (value === undefined) return { ok: false, message: `${name} needs a value.` };
      if (values.has(name)) return { ok: false, message: `${name} is given twice.` };
      values.set(name, value);
      spelled.set(name, given);
    } else if (BOOL_FLAGS.has(word)) {
      flags.add(word);
    } else {
      return { ok: false, message: `Unknown option "${printable(word)}". Run "credhop help".` };
    }
  }

  const host = (flag: string): string | null | { error: string } => {
    const v = values.get(flag);
    if (v === undefined) return null;
    const c = flag === '--target' ? checkTargetName(v) : checkHostName(v);
    return c.ok ? c.value : { error: `${spelled.get(flag) ?? flag}: ${c.message}` };
  };
  const account = (flag: string): string | null | { error: string } => {
    const v = values.get(flag);
    if (v === undefined) return null;
    const c = checkAccount(v);
    return c.ok ? c.value : { error: `${flag}: ${c.message}` };
  };
  const checked = { jump: host('--jump'), target: host('--target'), account: account('--account'), targetAccount: account('--target-account') };
  for (const v of Object.values(checked)) if (v !== null && typeof v === 'object') return { ok: false, message: v.error };

  let probe: string | null = null;
  if (values.has('--probe')) {
    const c = checkProbeCommand(values.get('--probe')!);
    if (!c.ok) return { ok: false, message: `--probe: ${c.message}` };
    probe = c.value;
  }
  const stepValue = values.get('--step') ?? 'both';
  if (stepValue !== 'client' && stepValue !== 'server' && stepValue !== 'both') return { ok: false, message: '--step is client, server or both.' };
  const timeboxText = values.get('--timebox') ?? String(PROFILE_LIMITS.timeBoxDefault);
  if (!/^\d{1,4}$/.test(timeboxText)) return { ok: false, message: '--timebox is a whole number of minutes.' };
  const timebox = Number(timeboxText);
  if (timebox < PROFILE_LIMITS.timeBoxMin || timebox > PROFILE_LIMITS.timeBoxMax) {
    return { ok: false, message: `--timebox is between ${PROFILE_LIMITS.timeBoxMin} and ${PROFILE_LIMITS.timeBoxMax} minutes (8 hours).` };
  }
  const wildcard = values.get('--wildcard') ?? null;
  if (wildcard !== null && !WILDCARD.test(wildcard)) return { ok: false, message: '--wildcard must look like wsman/*.company.pri or wsman/*.' };
  const lab = values.get('--lab') ?? null;
  if (lab !== null) {
    if (/[\0\r\n]/.test(lab) || !existsSync(lab) || !statSync(lab).isFile()) return { ok: false, message: `--lab: no lab file at "${printable(lab)}".` };
  }
  const pwsh = values.get('--pwsh') ?? null;
  if (pwsh !== null && (/[\0\r\n]/.test(pwsh) || !existsSync(pwsh))) return { ok: false, message: `--pwsh: no PowerShell at "${printable(pwsh)}".` };
  const computers = values.get('--computers') ?? null;
  if (computers !== null && (/[\0\r\n]/.test(computers) || !existsSync(computers) || !statSync(computers).isFile())) return { ok: false, message: `--computers: no file at "${printable(computers)}".` };
  let throttle: number | null = null;
  if (values.has('--throttle')) {
    const t = values.get('--throttle')!;
    if (!/^\d{1,3}$/.test(t) || Number(t) < SCAN_LIMITS.throttleMin || Number(t) > SCAN_LIMITS.throttleMax) return { ok: false, message: `--throttle is a whole number from ${SCAN_LIMITS.throttleMin} to ${SCAN_LIMITS.throttleMax} (machines scanned at once).` };
    throttle = Number(t);
  }
  if (command === 'scan' && computers === null && !(lab !== null || flags.has('--practice'))) return { ok: false, message: 'scan needs --computers <file> (one name a line, or a CSV with a "name" column), or --practice.' };
  const out = values.get('--out') ?? null;
  if (out !== null && (out.length === 0 || /[\0\r\n]/.test(out))) return { ok: false, message: '--out: not a file name.' };
  if (out !== null && existsSync(out)) return { ok: false, message: `--out: "${printable(out)}" already exists; nothing was written. Name another file, or move that one away.` };
  const profile = values.get('--profile') ?? null;
  if (profile !== null && (profile.length === 0 || profile.length > 200 || /[\0-\x1f]/.test(profile))) return { ok: false, message: '--profile: not a profile name.' };

  return {
    ok: true,
    args: {
      command,
      json: flags.has('--json'),
      // Paths are the user's, relative to where they typed the command; PowerShell runs in CredHop's own folder.
      lab: lab === null ? null : resolve(lab),
      practice: command === 'practice' || lab !== null || flags.has('--practice'),
      passwordStdin: flags.has('--password-stdin'),
      profile,
      jump: checked.jump as string | null,
      target: checked.target as string | null,
      account: checked.account as string | null,
      targetAccount: checked.targetAccount as string | null,
      probe,
      step: stepValue,
      timebox,
      explicit: flags.has('--explicit'),
      wildcard,
      confirmWildcard: flags.has('--confirm-wildcard'),
      confirmNtlm: flags.has('--confirm-ntlm-only'),
      pwsh: pwsh === null ? null : resolve(pwsh),
      computers: computers === null ? null : resolve(computers),
      throttle,
      out: out === null ? null : resolve(out),
    },
  };
}

/** A value echoed back in an error: control characters shown, length capped. */
export function printable(value: string): string {
  const shown = value.replace(/[\0-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

export const HELP = `Usage: credhop <command> [options]

Commands:
  practice   run the whole flow (check, plan, client, server, test, restore) in the practice lab
  status     this computer's CredSSP state and any change CredHop has not restored yet
             (real mode needs Windows; elsewhere add --practice)
  check      read both machines and show the plan: the changes, the risks, anything that blocks it
  plan       the same as check
  doctor     a read-only self-test: PowerShell, elevation, language mode, execution policy, WinRM,
             the keychain, the data folder and the practice lab, each OK or what to do
  apply      check, then configure the client and/or the server (--step client|server|both)
  test       run the probe on the target through the jump server
  restore    put every machine CredHop changed back to its snapshot (the one-click clean-up)
  journal    show the changes CredHop has not restored yet
  audit      print the audit log (JSON lines: when, who, profile, host, what changed, outcome)
  runbook    read both machines and write the plan as a PowerShell runbook to run by hand (the wizard's
             Export as script): --out <file>, or printed; the runbook's -Restore puts back exactly that
  version    CredHop's version (also: credhop --version)
  scan       read CredSSP on many machines (read-only): --computers <file> [--throttle N]; exit 1 when
             anything is found (--practice scans the practice estate)

Options:
  --profile <name>         use a saved hop profile
  --jump <host>            the jump server, as CredHop should connect to it (FQDN recommended);
                           --jump-server <host> is the same
  --target <host>          the machine to reach from the jump server
  --account <DOMAIN\\user>  the account for the jump server
  --target-account <acct>  another account for the target (used with --explicit)
  --probe <command>        PowerShell to run on the target (default: its name and your identity there)
  --password-stdin         read passwords from standard input (never from the command line): one line
                           per account, the --account's first, then the --target-account's (when it
                           names another account; test --explicit needs both)
  --timebox <minutes>      restore by itself after this long (default 60, at most 480)
  --explicit               test with explicit credentials on the inner call (needs no CredSSP)
  --wildcard <spn>         delegate to a wildcard such as wsman/*.company.pri (needs --confirm-wildcard)
  --confirm-ntlm-only      use the NTLM-only list (the server's identity is not verified)
  --lab <file>             practice mode with this lab file; --practice with the default lab
  --pwsh <path>            the PowerShell executable to use
  --computers <file>       scan: machine names, one a line (# comments), or a CSV with a name column
  --throttle <n>           scan: machines read at once (default 32)
  --out <file>             runbook: the .ps1 file to write (never over an existing file)
  --json                   machine-readable output

Exit codes: 0 success, 1 a diagnosed failure (or differences after restore), 2 refused input,
3 an internal error.
`;
