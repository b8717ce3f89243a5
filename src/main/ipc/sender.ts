// Who may call the bridge: the top frame of a window the app opened, showing the app's own page.

export interface SenderInfo {
  /** URL of the frame that sent the message. */
  url: string;
  /** True when the sender is the top-level frame, not an iframe. */
  isTopFrame: boolean;
  /** Id of the window (webContents) the message came from; null when unknown. */
  windowId: number | null;
}

export type SenderPolicy = (sender: SenderInfo) => boolean;

/** Scheme, host and port of a URL, or null when it cannot be parsed. Custom schemes have a "null" origin in WHATWG URLs, so compare the parts. */
function originParts(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol === 'file:') return null; // the app never serves itself from file://
    if (u.host === '') return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function isSameAppOrigin(url: string, appUrl: string): boolean {
  const a = originParts(url);
  const b = originParts(appUrl);
  return a !== null && a === b;
}

export function createSenderPolicy(options: {
  appUrl: string;
  knownWindowIds: () => ReadonlySet<number>;
}): SenderPolicy {
  return (sender) =>
    sender.isTopFrame &&
    sender.windowId !== null &&
    options.knownWindowIds().has(sender.windowId) &&
    isSameAppOrigin(sender.url, options.appUrl);
}
