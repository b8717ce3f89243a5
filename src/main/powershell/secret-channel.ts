// The secret channel: how a password reaches PowerShell without ever being part of what PowerShell
// logs. Script block logging records command text, module logging records every parameter binding,
// transcription records the host's input — so a password must be none of those. Instead, for each
// call that carries secrets, CredHop's module opens a one-shot named pipe (on Linux .NET maps it to a
// Unix socket), readable by the current user only, and main connects to it and writes the secrets;
// the module reads the bytes with .NET straight into SecureStrings. The command text names only the
// call's channel id: the pipe's full name also needs a prefix that reaches PowerShell once, in its
// environment at spawn, so even a reader of the logs cannot predict or squat the pipe.
//
// Frame on the pipe: 'CHS1', one byte N (secrets), then N times: uint32 LE byte length + UTF-8 bytes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SECRET_CHANNEL_ENV = 'CREDHOP_SECRET_CHANNEL';
export const MAX_SECRETS = 8;
export const MAX_SECRET_BYTES = 4096;
const MAGIC = Buffer.from('CHS1', 'latin1');
/** A Unix socket path must fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

/** Where one PowerShell process's pipes live: the env prefix, and how to tidy up after the process. */
export interface ChannelHome {
  /** The value of CREDHOP_SECRET_CHANNEL for the process. */
  prefix: string;
  /** What main connects to for a call with this id. */
  pathFor(id: string): string;
  dispose(): void;
}

/**
 * A fresh home per PowerShell process. Windows: a random pipe-name prefix (the module's pipe has an
 * ACL for the current user only). Elsewhere: a new 0700 folder, so only this user can reach the socket.
 */
export function createChannelHome(platform: NodeJS.Platform = process.platform, base: string = tmpdir()): ChannelHome {
  if (platform === 'win32') {
    const prefix = `credhop-${randomBytes(12).toString('hex')}`;
    return { prefix, pathFor: (id) => `\\\\.\\pipe\\${prefix}-${id}`, dispose: () => undefined };
  }
  const dir = mkdtempSync(join(base, 'credhop-')); // mkdtemp creates it 0700
  const prefix = join(dir, 's');
  if (Buffer.byteLength(`${prefix}-${'0'.repeat(16)}`) > MAX_SOCKET_PATH) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`The temporary folder's path is too long for CredHop's secret channel (${dir}); set TMPDIR to a shorter folder.`);
  }
  return { prefix, pathFor: (id) => `${prefix}-${id}`, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A random id for one call's channel: the only part of the pipe's name that appears in a command. */
export function newChannelId(): string {
  return randomBytes(8).toString('hex');
}

/** The bytes main writes to the pipe. The caller zeroes the buffer once it is written. */
export function frameSecrets(secrets: readonly string[]): Buffer {
  if (secrets.length === 0 || secrets.length > MAX_SECRETS) throw new Error(`between 1 and ${MAX_SECRETS} secrets per call`);
  const parts: Buffer[] = [Buffer.from(MAGIC), Buffer.from([secrets.length])];
  for (const s of secrets) {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > MAX_SECRET_BYTES) throw new Error(`a secret is longer than ${MAX_SECRET_BYTES} bytes`);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(bytes.length);
    parts.push(len, bytes);
  }
  const frame = Buffer.concat(parts);
  for (const p of parts) p.fill(0);
  return frame;
}

export interface Delivery {
  /** Resolves true once the secrets were written and the pipe closed, false if the call ended first. */
  done: Promise<boolean>;
  /** Stop trying (the call finished or failed); never throws. */
  stop(): void;
}

/**
 * Connects to the module's pipe once it exists (the module creates it while the call runs) and writes
 * the frame. Retries while the pipe is not there yet; gives up when stopped. The frame is zeroed after.
 */
export function deliverSecrets(path: string, secrets: readonly string[], retryMs = 5): Delivery {
  const frame = frameSecrets(secrets);
  let stopped = false;
  let socket: Socket | null = null;
  let timer: NodeJS.Timeout | undefined;
  let settle: (value: boolean) => void = () => undefined;
  const done = new Promise<boolean>((resolve) => {
    settle = (value) => {
      frame.fill(0);
      resolve(value);
    };
  });
  const attempt = (): void => {
    if (stopped) return;
    const s = connect(path);
    socket = s;
    s.once('connect', () => {
      s.end(frame, () => settle(true));
    });
    s.once('error', (error: NodeJS.ErrnoException) => {
      s.destroy();
      socket = null;
      // Not there yet (ENOENT), or not listening yet (ECONNREFUSED; on Windows a busy pipe): try again.
      if (!stopped && ['ENOENT', 'ECONNREFUSED', 'EAGAIN', 'EBUSY'].includes(error.code ?? '')) {
        timer = setTimeout(attempt, retryMs);
      } else {
        settle(false);
      }
    });
  };
  attempt();
  return {
    done,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      const s = socket as Socket | null;
      if (s && !s.writableFinished) s.destroy();
      settle(false);
    },
  };
}
