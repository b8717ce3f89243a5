// PowerShell with a managed estate's logging switched on, for the tests that prove a password never
// reaches PowerShell's own logs. What PowerShell 7 honours on Linux (measured here, pwsh 7.6):
//   - Transcription (PowerShellPolicies.Transcription): files in OutputDirectory, the host's input
//     (every command piped to `pwsh -Command -`) and output. Same mechanism as on Windows.
//   - Script block logging (event 4104) and module logging (event 4103, ParameterBinding lines): on
//     Linux PowerShell writes these to syslog through libc's syslog(), i.e. the datagram socket
//     /dev/log, instead of the Windows event log. We capture that socket, so both are checked for real.
// What only Windows has: the event log itself (Microsoft-Windows-PowerShell/Operational), protected
// event logging, the registry policy keys, AMSI. They are fed by the same engine events as syslog here,
// so a secret that never becomes command text or a parameter binding cannot reach them either.
//
// The settings reach the pwsh that CredHop starts through a wrapper executable that adds
// `-SettingsFile` (PowerShell 7 reads PowerShellPolicies from it, as it reads $PSHOME's
// powershell.config.json), so other tests running meanwhile keep an unlogged pwsh.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The real pwsh the setup script installs (as tests/integration/pwsh-path.ts). */
const PWSH = resolve('.tools/pwsh/pwsh');

export interface LoggedPowerShell {
  /** Give this to CredHop as its PowerShell (configuredPowerShell / --pwsh). */
  executable: string;
  transcriptDir: string;
  /** The captured syslog (script block and module logging), or null when it could not be captured. */
  syslogFile: string | null;
  /** Why syslog is not captured, when it is not. */
  syslogProblem: string | null;
  /** Every file any logging mechanism wrote, with its bytes. */
  logFiles(): { path: string; bytes: Buffer }[];
  dispose(): Promise<void>;
}

const CATCHER = `
import socket, os, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
f = open(out, 'ab', buffering=0)
print('ready', flush=True)
while True:
    f.write(s.recv(262144) + b'\\n')
`;

export async function startLoggedPowerShell(dir: string): Promise<LoggedPowerShell> {
  const transcriptDir = join(dir, 'transcripts');
  mkdirSync(transcriptDir, { recursive: true });
  const configFile = join(dir, 'powershell.config.json');
  writeFileSync(configFile, JSON.stringify({
    PowerShellPolicies: {
      ScriptBlockLogging: { EnableScriptBlockLogging: true, EnableScriptBlockInvocationLogging: true },
      ModuleLogging: { EnableModuleLogging: true, ModuleNames: ['*'] },
      Transcription: { EnableTranscripting: true, EnableInvocationHeader: true, OutputDirectory: transcriptDir },
    },
    LogLevel: 'Verbose',
  }, null, 2));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const executable = join(binDir, 'pwsh');
  writeFileSync(executable, `#!/bin/sh\nexec '${PWSH}' -SettingsFile '${configFile}' "$@"\n`);
  chmodSync(executable, 0o755);

  let catcher: ChildProcess | null = null;
  let syslogFile: string | null = null;
  let syslogProblem: string | null = null;
  if (existsSync('/dev/log')) {
    syslogProblem = '/dev/log belongs to a running syslog daemon on this machine; its messages go to that daemon\'s files, not to this test';
  } else {
    syslogFile = join(dir, 'syslog.txt');
    writeFileSync(syslogFile, '');
    const script = join(dir, 'syslog-catcher.py');
    writeFileSync(script, CATCHER);
    const child = spawn('python3', [script, '/dev/log', syslogFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    catcher = child;
    const ready = await new Promise<string | null>((resolve) => {
      let err = '';
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(null); });
      child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
      child.on('exit', () => resolve(err.trim() || 'the syslog catcher exited'));
      child.on('error', (e) => resolve(e.message));
    });
    if (ready !== null) {
      syslogProblem = `could not listen on /dev/log: ${ready.split('\n').pop()}`;
      syslogFile = null;
      catcher = null;
    }
  }

  const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)])) : []);
  return {
    executable,
    transcriptDir,
    syslogFile,
    syslogProblem,
    logFiles: () => [...walk(transcriptDir), ...(syslogFile ? [syslogFile] : [])].map((path) => ({ path, bytes: readFileSync(path) })),
    dispose: async () => {
      if (catcher) {
        catcher.kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 50));
        rmSync('/dev/log', { force: true });
      }
    },
  };
}

/** The forms a secret can take on its way into a log: as text, JSON-escaped, UTF-16, and base64 of either. */
export function secretForms(secret: string): { label: string; bytes: Buffer }[] {
  const utf8 = Buffer.from(secret, 'utf8');
  const utf16 = Buffer.from(secret, 'utf16le');
  const forms: { label: string; bytes: Buffer }[] = [
    { label: 'text', bytes: utf8 },
    { label: 'JSON-escaped text', bytes: Buffer.from(JSON.stringify(secret).slice(1, -1), 'utf8') },
    { label: 'UTF-16', bytes: utf16 },
  ];
  // Base64 of the secret inside a longer base64 string (a payload): the secret can start at any of
  // three byte offsets; the characters that depend only on the secret's own bytes are searched.
  for (const [name, raw] of [['UTF-8', utf8], ['UTF-16', utf16]] as const) {
    for (let shift = 0; shift < 3; shift += 1) {
      const b64 = Buffer.concat([Buffer.alloc(shift), raw]).toString('base64');
      const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3) + 1;
      const end = b64.length - 4; // the last group may mix with what follows
      if (end - start >= 8) forms.push({ label: `base64 of ${name} (offset ${shift})`, bytes: Buffer.from(b64.slice(start, end), 'latin1') });
    }
  }
  return forms;
}

/** Where a secret appears in some bytes, in any of its forms, or in text found base64-decoded there. */
export function findSecret(bytes: Buffer, secret: string): string[] {
  const hits: string[] = [];
  const forms = secretForms(secret);
  for (const f of forms) if (bytes.includes(f.bytes)) hits.push(f.label);
  // Base64 runs anywhere in the bytes, decoded and searched again (payloads are base64 of JSON).
  const text = bytes.toString('latin1');
  for (const m of text.matchAll(/[A-Za-z0-9+/]{16,}={0,2}/g)) {
    const decoded = Buffer.from(m[0], 'base64');
    for (const f of forms.slice(0, 3)) if (decoded.includes(f.bytes)) hits.push(`${f.label} inside base64 ${m[0].slice(0, 24)}…`);
  }
  return [...new Set(hits)];
}

/** The first few lines of `bytes` that contain `needle`, for an assertion message. */
export function linesWith(bytes: Buffer, needle: string, max = 3): string[] {
  return bytes.toString('utf8').split('\n').filter((l) => l.includes(needle)).slice(0, max).map((l) => l.slice(0, 300));
}
