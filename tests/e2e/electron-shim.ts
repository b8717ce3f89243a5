// Stands in for Electron's IPC transport ONLY: the real preload (src/preload/index.ts) is bundled with
// this module in place of `electron`, so the page gets exactly the object the app would expose, and
// every call goes through a Playwright binding to the real router and handlers in the test process.
type Listener = (event: unknown, payload: unknown) => void;

interface TestWindow {
  __credhopInvoke(channel: string, request: unknown): Promise<unknown>;
  __credhopEmit?: (channel: string, payload: unknown) => void;
}

const w = window as unknown as TestWindow;
const listeners = new Map<string, Set<Listener>>();

w.__credhopEmit = (channel, payload) => {
  for (const l of listeners.get(channel) ?? []) l({}, payload);
};

export const ipcRenderer = {
  invoke: (channel: string, request: unknown) => w.__credhopInvoke(channel, request),
  on(channel: string, listener: Listener) {
    if (!listeners.has(channel)) listeners.set(channel, new Set());
    listeners.get(channel)!.add(listener);
  },
  removeListener(channel: string, listener: Listener) {
    listeners.get(channel)?.delete(listener);
  },
};

export const contextBridge = {
  exposeInMainWorld(key: string, api: unknown) {
    Object.defineProperty(window, key, { value: api, writable: false, configurable: false, enumerable: false });
  },
};
