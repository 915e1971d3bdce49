import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { Api, IpcResult } from '../../shared/ipc/api';
import type { Channel, ChannelOutput, EventName, EventPayload } from '../../shared/ipc/contract';

// window.api: one named function per page channel of shared/ipc/contract.ts, nothing generic,
// so the page can reach exactly the channels listed there (files:record-drop only through
// fileDropped, which takes a File, never a path). Type-only imports: a sandboxed preload
// cannot load packages (zod stays in main, which validates every call).

async function call<C extends Channel>(channel: C, input?: unknown): Promise<ChannelOutput<C>> {
  const result = (await ipcRenderer.invoke(channel, input)) as IpcResult<ChannelOutput<C>>;
  if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
  return result.value;
}

function listen<E extends EventName>(event: E) {
  return (listener: (payload: EventPayload<E>) => void): (() => void) => {
    const wrapped = (_event: IpcRendererEvent, payload: EventPayload<E>): void => listener(payload);
    ipcRenderer.on(event, wrapped);
    return () => ipcRenderer.removeListener(event, wrapped);
  };
}

const api = {
  appInfo: () => call('app:info'),

  connectionListProfiles: () => call('connection:list-profiles'),
  connectionSaveProfile: (input) => call('connection:save-profile', input),
  connectionDeleteProfile: (input) => call('connection:delete-profile', input),
  connectionConnect: (input) => call('connection:connect', input),
  connectionSignIn: (input) => call('connection:sign-in', input),
  connectionSignOut: () => call('connection:sign-out'),
  connectionState: () => call('connection:state'),
  connectionSelectMerchant: (input) => call('connection:select-merchant', input),

  importChooseFile: () => call('import:choose-file'),
  filesRecent: () => call('files:recent'),
  importOpen: (input) => call('import:open', input),
  importCancelOpen: () => call('import:cancel-open'),
  importView: () => call('import:view'),
  importRows: (input) => call('import:rows', input),
  importIssues: (input) => call('import:issues', input),
  importFindError: (input) => call('import:find-error', input),
  importFindText: (input) => call('import:find-text', input),
  importFindRow: (input) => call('import:find-row', input),
  importEditCell: (input) => call('import:edit-cell', input),
  importReplaceAll: (input) => call('import:replace-all', input),
  importDeleteRows: (input) => call('import:delete-rows', input),
  importUndo: () => call('import:undo'),
  importRedo: () => call('import:redo'),
  importSetSkipExisting: (input) => call('import:set-skip-existing', input),
  importPickList: (input) => call('import:pick-list', input),
  importExportErrors: () => call('import:export-errors'),
  importSaveFixed: () => call('import:save-fixed'),
  importCommit: (input) => call('import:commit', input),
  importCancelCommit: () => call('import:cancel-commit'),
  importClose: () => call('import:close'),

  templatesList: () => call('templates:list'),
  templatesSave: (input) => call('templates:save', input),
  templatesDelete: (input) => call('templates:delete', input),

  batchesList: (input) => call('batches:list', input),
  batchesGet: (input) => call('batches:get', input),
  batchesErrors: (input) => call('batches:errors', input),
  batchesOverview: (input) => call('batches:overview', input),
  batchesRecheck: (input) => call('batches:recheck', input),
  batchesRetry: (input) => call('batches:retry', input),
  batchesCancel: (input) => call('batches:cancel', input),
  batchesExportErrors: (input) => call('batches:export-errors', input),
  batchesExportAudit: (input) => call('batches:export-audit', input),

  importRowNumbers: (input) => call('import:row-numbers', input),
  importDeleteFilter: (input) => call('import:delete-filter', input),
  importLeaveOutPreview: () => call('import:leave-out-preview'),
  importLeaveOutErrors: () => call('import:leave-out-errors'),
  importAudit: () => call('import:audit'),
  importParseSettings: () => call('import:parse-settings'),
  importReparse: (input) => call('import:reparse', input),
  importIdLabels: (input) => call('import:id-labels', input),

  onImportProgress: listen('event:import-progress'),
  onCommitProgress: listen('event:commit-progress'),
  onMenu: listen('event:menu'),
  onConnectionChanged: listen('event:connection-changed'),

  // The page hands over what the user dropped; only the preload sees its path (webUtils answers
  // '' for a File the page made itself) and main records it as a handle.
  fileDropped: async (file) => {
    const path = webUtils.getPathForFile(file);
    return path ? call('files:record-drop', { path }) : null;
  },
} satisfies Api;

contextBridge.exposeInMainWorld('api', Object.freeze(api));
