// How TypeScript talks to CredHop's PowerShell module: a fixed function name, a primitive name from a
// fixed list, and ONE base64 argument holding the JSON payload. No value ever becomes PowerShell source.
// The module answers with one line `CREDHOP:{json}`; anything else on stdout is noise and ignored.

export const MARKER = 'CREDHOP:';
/** A streamed item of a long call (one machine of a scan), written while the call runs; never the answer. */
export const ITEM_MARKER = 'CREDHOP-ITEM:';

const NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function encodePayload(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload ?? {}), 'utf8').toString('base64');
}

/** The functions TypeScript may call: the module's one entry point, and the practice lab's. */
export type CallableFunction =
  | 'Invoke-CredHop'
  | 'Initialize-CredHopLab'
  | 'Get-CredHopLabState'
  | 'Set-CredHopLabHost'
  | 'Add-CredHopLabFault'
  | 'Invoke-CredHopLabGpUpdate'
  | 'Move-CredHopLabClock'
  | 'Stop-CredHopLabHost'
  | 'Start-CredHopLabHost';

const CHANNEL_ID = /^[0-9a-f]{16}$/;

/**
 * The exact one-line command for a call: `<Function> -Primitive 'Name' -Payload 'base64'`, plus
 * `-SecretChannel '<id>'` when the call's secrets follow on the secret channel (never in the payload).
 */
export function buildCall(fn: CallableFunction, primitive: string | null, payload: unknown, secretChannel?: string): string {
  const b64 = encodePayload(payload);
  // Both checks are belt and braces: the alphabet of base64 and of a name cannot close a quote.
  if (!BASE64.test(b64)) throw new Error('payload encoding produced unexpected characters');
  if (primitive === null) return `${fn} -Payload '${b64}'`;
  if (!NAME.test(primitive)) throw new Error(`not a primitive name: ${JSON.stringify(primitive)}`);
  if (secretChannel === undefined) return `${fn} -Primitive '${primitive}' -Payload '${b64}'`;
  if (!CHANNEL_ID.test(secretChannel)) throw new Error('not a secret channel id');
  return `${fn} -Primitive '${primitive}' -Payload '${b64}' -SecretChannel '${secretChannel}'`;
}

export type ModuleAnswer =
  | { ok: true; data: unknown }
  | {
      ok: false;
      error: {
        kind: string;
        message: string;
        fullyQualifiedErrorId?: string | null;
        errorCode?: number | null;
        exceptionType?: string | null;
        category?: string | null;
      };
    };

/**
 * Cuts stdout chunks into lines and hands every `CREDHOP-ITEM:` line's JSON text to `onItem` as soon as
 * its line is complete. Multi-byte characters split across chunks are kept whole.
 */
export function itemLineReader(onItem: (json: string) => void): (chunk: Buffer | string) => void {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  return (chunk) => {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').trim();
      buffer = buffer.slice(nl + 1);
      if (line.startsWith(ITEM_MARKER)) onItem(line.slice(ITEM_MARKER.length));
      nl = buffer.indexOf('\n');
    }
  };
}

/** The last marked line of stdout, parsed; null when there is none (PowerShell died, or noise only). */
export function parseAnswer(stdout: string): ModuleAnswer | null {
  // pwsh writes terminal mode switches (ESC[?1h ESC[?1l) around prompts even when piped.
  const lines = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!.trim();
    if (line.startsWith(MARKER)) {
      try {
        const value = JSON.parse(line.slice(MARKER.length)) as unknown;
        if (typeof value === 'object' && value !== null && 'ok' in value) return value as ModuleAnswer;
      } catch {
        return null;
      }
    }
  }
  return null;
}
