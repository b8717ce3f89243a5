// A thin wrapper around keytar (the OS keychain: Windows Credential Manager, macOS Keychain,
// libsecret on Linux) that puts a timeout on every call and turns keytar's raw failures into a
// small set of kinds with plain words for the operator. It never puts a secret into an error.
import { randomBytes } from 'node:crypto';

/** The part of keytar CredHop uses. Tests of the hang case wrap the real module around a stall. */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export type KeychainFailureKind =
  | 'no-secret-service' // no D-Bus session, no secret service, keytar not loadable
  | 'locked' // keyring locked (and no prompt possible)
  | 'denied' // the user or the OS refused access
  | 'timeout' // no answer in time (often an unlock prompt nobody can see)
  | 'failed'; // anything else

export const DEFAULT_SERVICE = 'CredHop';
export const DEFAULT_TIMEOUT_MS = 5_000;
const PROBE_ACCOUNT = 'credhop-keychain-probe';

const TYPE_FOR_THIS_RUN = 'You can still type the password for this run: CredHop keeps it in memory only until it closes.';

/** A keychain failure with words for the operator. `detail` is keytar's own text, for diagnostics only. */
export class KeychainError extends Error {
  readonly kind: KeychainFailureKind;
  readonly userMessage: string;
  readonly hint: string;
  readonly detail: string;

  constructor(kind: KeychainFailureKind, detail: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const words = wordsFor(kind, timeoutMs);
    super(words.message);
    this.name = 'KeychainError';
    this.kind = kind;
    this.userMessage = words.message;
    this.hint = words.hint;
    this.detail = detail;
  }
}

export function isKeychainError(value: unknown): value is KeychainError {
  return value instanceof KeychainError;
}

function wordsFor(kind: KeychainFailureKind, timeoutMs: number): { message: string; hint: string } {
  switch (kind) {
    case 'no-secret-service':
      return {
        message: 'CredHop cannot reach the system keychain: no keychain service is running in this session.',
        hint: `${TYPE_FOR_THIS_RUN} To remember passwords, sign in to a desktop session with a keyring (Windows Credential Manager, GNOME Keyring or KWallet) and try again.`,
      };
    case 'locked':
      return {
        message: 'The system keychain is locked, so CredHop cannot read or save the password.',
        hint: `Unlock your keyring (sign in to the desktop or open your keyring manager) and try again. ${TYPE_FOR_THIS_RUN}`,
      };
    case 'denied':
      return {
        message: 'The system keychain refused CredHop access to the password.',
        hint: `Allow CredHop when the keychain asks, or check the keychain's settings. ${TYPE_FOR_THIS_RUN}`,
      };
    case 'timeout':
      return {
        message: `The system keychain did not answer within ${Math.round(timeoutMs / 1000)} seconds; it may be waiting for an unlock prompt.`,
        hint: `Look for a keyring prompt, unlock it and try again. ${TYPE_FOR_THIS_RUN}`,
      };
    case 'failed':
      return {
        message: 'The system keychain reported an error, so CredHop could not use the saved password.',
        hint: TYPE_FOR_THIS_RUN,
      };
  }
}

/** Sorts keytar's error texts (libsecret, Credential Manager, Keychain Services) into kinds. */
export function classifyKeytarError(error: unknown): KeychainFailureKind {
  const text = error instanceof Error ? error.message : String(error);
  if (
    /Cannot autolaunch D-Bus|Could not connect|DBUS_SESSION_BUS_ADDRESS|org\.freedesktop\.secrets was not provided|ServiceUnknown|No such interface|Cannot find module|keytar\.node|was compiled against a different Node|Failed to execute child process/i.test(
      text,
    )
  )
    return 'no-secret-service';
  if (/locked|Object does not exist at path|No such secret collection|unlock|dismissed/i.test(text)) return 'locked';
  if (/denied|not permitted|not allowed|User interaction is not allowed|user canceled|cancelled|authorization/i.test(text)) return 'denied';
  if (/timed? ?out|Timeout was reached|NoReply/i.test(text)) return 'timeout';
  return 'failed';
}

export interface Keychain {
  readonly service: string;
  readonly timeoutMs: number;
  get(account: string): Promise<string | null>;
  set(account: string, password: string): Promise<void>;
  /** True when an entry was deleted, false when there was none. */
  delete(account: string): Promise<boolean>;
  /** The accounts (entry names) stored under this service. The secrets are not returned. */
  accounts(): Promise<string[]>;
  /**
   * Proves the keychain can be written right now (writes and deletes a throw-away entry). libsecret
   * answers "no entry" rather than an error when the keyring is locked; this tells the two apart.
   */
  probeWritable(): Promise<void>;
}

export interface KeychainOptions {
  service?: string;
  timeoutMs?: number;
  /** Defaults to the real keytar, loaded on first use so a missing native module is a classified failure. */
  backend?: KeytarLike | (() => Promise<KeytarLike>);
}

async function loadKeytar(): Promise<KeytarLike> {
  const mod: unknown = await import('keytar');
  const candidate = (typeof mod === 'object' && mod !== null && 'default' in mod ? (mod as { default: unknown }).default : mod) as
    | Partial<KeytarLike>
    | undefined;
  if (
    !candidate ||
    typeof candidate.getPassword !== 'function' ||
    typeof candidate.setPassword !== 'function' ||
    typeof candidate.deletePassword !== 'function' ||
    typeof candidate.findCredentials !== 'function'
  ) {
    throw new Error('Cannot find module keytar: the loaded module has no keychain functions');
  }
  return candidate as KeytarLike;
}

/** Races a promise against a timer. The underlying call may still finish later; its result is ignored. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new KeychainError('timeout', `no answer within ${timeoutMs} ms`, timeoutMs)), timeoutMs);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export function createKeychain(options: KeychainOptions = {}): Keychain {
  const service = options.service ?? DEFAULT_SERVICE;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let backendPromise: Promise<KeytarLike> | undefined;

  function backend(): Promise<KeytarLike> {
    if (backendPromise === undefined) {
      const given = options.backend;
      backendPromise = given === undefined ? loadKeytar() : typeof given === 'function' ? given() : Promise.resolve(given);
      // A failed load is retried on the next call (the user may have started the keyring meanwhile).
      backendPromise.catch(() => {
        backendPromise = undefined;
      });
    }
    return backendPromise;
  }

  // Calls that timed out but have not come back yet. keytar runs each call on a thread of libuv's
  // pool (shared with file I/O); a hung D-Bus call holds its thread until D-Bus gives up (about 25 s)
  // or a prompt is answered. While one is outstanding, new calls fail at once instead of tying up
  // more threads; once it comes back, calls go through again.
  let stalled = 0;

  async function call<T>(run: (k: KeytarLike) => Promise<T>): Promise<T> {
    if (stalled > 0) throw new KeychainError('timeout', 'an earlier keychain call has not answered yet', timeoutMs);
    const attempt = backend().then((k) => run(k));
    try {
      // The timeout covers loading the module too: one budget per call.
      return await withTimeout(attempt, timeoutMs);
    } catch (error) {
      if (isKeychainError(error) && error.kind === 'timeout') {
        stalled++;
        void attempt.then(
          () => void stalled--,
          () => void stalled--,
        );
      }
      if (isKeychainError(error)) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new KeychainError(classifyKeytarError(error), detail, timeoutMs);
    }
  }

  return {
    service,
    timeoutMs,
    get: (account) => call((k) => k.getPassword(service, account)),
    set: (account, password) => call((k) => k.setPassword(service, account, password)),
    delete: (account) => call((k) => k.deletePassword(service, account)),
    accounts: () => call(async (k) => (await k.findCredentials(service)).map((c) => c.account)),
    async probeWritable() {
      const account = `${PROBE_ACCOUNT}-${randomBytes(6).toString('hex')}`;
      await call((k) => k.setPassword(service, account, randomBytes(12).toString('hex')));
      await call((k) => k.deletePassword(service, account));
    },
  };
}
