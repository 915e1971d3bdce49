import { contextBridge } from 'electron';

// One named function per IPC channel is exposed here as the contract grows (shared/ipc).
const api = {} as const;

contextBridge.exposeInMainWorld('api', api);
