// Sandboxed preload: exposes only the typed methods built from the contract's channel list.
import { contextBridge, ipcRenderer } from 'electron';
import { API_KEY, PROGRESS_EVENT, QUIT_REQUEST_EVENT } from '../shared/channels';
import { buildApi } from './api';

const api = buildApi(
  {
    invoke: (channel, request) => ipcRenderer.invoke(channel, request),
    on: (channel, listener) => {
      const wrapped = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
      ipcRenderer.on(channel, wrapped);
      return () => {
        ipcRenderer.removeListener(channel, wrapped);
      };
    },
  },
  { progress: PROGRESS_EVENT, quitRequest: QUIT_REQUEST_EVENT },
);

contextBridge.exposeInMainWorld(API_KEY, api);
