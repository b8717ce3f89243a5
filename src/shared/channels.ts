// The list of IPC channels, free of dependencies so the sandboxed preload can import it and stay tiny.
// The schemas for each channel live in ./contract (main validates; main is the security boundary).

export const CHANNELS = [
  'envCheck',
  'profilesList',
  'profilesGet',
  'profilesSave',
  'profilesDuplicate',
  'profilesRename',
  'profilesDelete',
  'profilesImport',
  'profilesExport',
  'secretStatus',
  'secretSet',
  'secretDelete',
  'hopStatus',
  'hopCheck',
  'hopApply',
  'hopTest',
  'hopFix',
  'hopRestore',
  'hopCancel',
  'hopRunbook',
  'hopOpenConsole',
  'auditExport',
  'settingsGet',
  'settingsSave',
  'appQuitAnswer',
  'scanStart',
  'scanCancel',
  'scanPracticeList',
] as const;

export type Channel = (typeof CHANNELS)[number];

/** The name a channel has on Electron's IPC bus; prefixed so a stray channel can never collide. */
export function ipcChannelName(channel: Channel): `credhop:${Channel}` {
  return `credhop:${channel}`;
}

/** Main → renderer progress events, tagged with the operation they belong to. */
export const PROGRESS_EVENT = 'credhop:progress';

/** Main → renderer: CredHop is being closed while changes are open (payload: contract/app quitRequest). */
export const QUIT_REQUEST_EVENT = 'credhop:quit-request';

/** The key under which the preload exposes the API on `window`. */
export const API_KEY = 'credhop';
