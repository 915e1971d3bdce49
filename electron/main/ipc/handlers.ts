import type { Channel, ChannelOutput, IpcContract } from '../../../shared/ipc/contract';
import type { z } from 'zod';
import type { FileGrants } from '../services/files/file-grants';
import type { ConnectionManager } from '../services/session/connection-manager';
import type { SessionService } from '../services/session/session-service';
import type { SettingsStore } from '../services/settings/settings';
import type { Dialogs } from './dialogs';

// What each channel does, as plain functions over the services. No Electron here: the app
// registers them through handle() (ipcMain), the e2e tests host the very same functions.

export interface HandlerDeps {
  connection: ConnectionManager;
  sessions: SessionService;
  settings: SettingsStore;
  dialogs: Dialogs;
  /** Handles for the files the user chose: the only way a file channel reaches a file. */
  files: FileGrants;
  appInfo: { platform: string; version: string; dataDir: string };
  /** Starts the parse worker while the user is still choosing a file. */
  prewarm?: () => void;
}

export type Handler<C extends Channel> = (
  input: z.output<IpcContract[C]['input']>,
) => Promise<ChannelOutput<C>> | ChannelOutput<C>;

export type Handlers = { [C in Channel]: Handler<C> };

/** What the save dialog of "Save fixed file" says about its cells. */
export const FIXED_FILE_NOTICE =
  'Every value is written exactly as it is in the preview, so the file imports unchanged. Unlike "Export error rows", cells starting with = + - or @ are not made safe for spreadsheets: open this file in the import, not in Excel.';

function stem(fileName: string): string {
  return fileName.replace(/\.[^.]+$/, '');
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const { connection, sessions, settings, dialogs, files } = deps;
  return {
    'app:info': () => deps.appInfo,

    'connection:list-profiles': () => connection.listProfiles(),
    'connection:save-profile': (input) => connection.saveProfile(input),
    'connection:delete-profile': async ({ id }) => ({
      deleted: await connection.deleteProfile(id),
    }),
    // Rows staged for the open file go while the connection that staged them is still there.
    'connection:connect': async ({ profileId }) => {
      await sessions.releaseStaged();
      return connection.connect(profileId);
    },
    'connection:sign-in': ({ email, password }) => connection.signIn(email, password),
    'connection:sign-out': async () => {
      await sessions.releaseStaged();
      return connection.signOut();
    },
    'connection:state': () => connection.state(),
    'connection:select-merchant': async ({ merchantId }) => {
      const state = await connection.selectMerchant(merchantId);
      // A preview belongs to the merchant it was checked against.
      sessions.close();
      return state;
    },

    'import:choose-file': async () => {
      deps.prewarm?.();
      const path = await dialogs.openCsv();
      return { file: path ? await files.grant(path, 'dialog') : null };
    },
    'files:record-drop': ({ path }) => files.grant(path, 'drop'),
    'files:recent': async () => ({ files: await files.recent() }),
    'import:open': async ({ file, options, autoMap }) => {
      // resolve() refuses a handle main did not issue before anything is read.
      const path = files.resolve(file);
      const result = await sessions.open(
        path,
        files.describe(file),
        options ?? {},
        autoMap ?? true,
      );
      if (result.kind !== 'cancelled') await files.remember(file).catch(() => undefined);
      return result;
    },
    'import:cancel-open': () => ({ cancelled: sessions.cancelOpen() }),
    'import:view': () => sessions.view(),
    'import:rows': ({ filter, offset, limit }) => sessions.current().rows(filter, offset, limit),
    'import:issues': ({ filter, offset, limit }) => ({
      offset,
      ...sessions.current().issues(filter, offset, limit),
    }),
    'import:find-error': ({ filter, after, direction }) =>
      sessions.current().findError(filter, after, direction),
    'import:find-text': ({ filter, text, after, afterColumn, direction }) =>
      sessions.current().findText(filter, text, after, afterColumn, direction),
    'import:find-row': ({ filter, row }) => {
      const index = sessions.current().findRow(filter, row);
      return index === null ? null : { index };
    },
    'import:edit-cell': ({ row, column, value }) => sessions.editCell(row, column, value),
    'import:replace-all': ({ column, from, to }) => sessions.replaceAll(column, from, to),
    'import:delete-rows': ({ rows, wholeTransactions }) =>
      sessions.deleteRows(rows, wholeTransactions),
    'import:undo': () => sessions.undo(),
    'import:redo': () => sessions.redo(),
    'import:set-skip-existing': ({ skip }) => sessions.setSkipExisting(skip),
    'import:pick-list': async ({ kind, search }) => ({
      options: await sessions.pickList(kind, search),
    }),
    'import:export-errors': async () => {
      const s = sessions.current();
      const path = await dialogs.saveCsv({
        title: 'Export error rows',
        defaultName: `${stem(s.fileName)}-errors.csv`,
      });
      return { path, rows: path ? await sessions.exportErrors(path) : 0 };
    },
    'import:save-fixed': async () => {
      const s = sessions.current();
      // Verbatim is this file's promise (it must import exactly as previewed), so its cells are
      // not neutralised like the error export's: the dialog says what that means.
      const path = await dialogs.saveCsv({
        title: 'Save the fixed file (values exactly as in the preview)',
        defaultName: `${stem(s.fileName)}-fixed.csv`,
        message: FIXED_FILE_NOTICE,
      });
      return { path, rows: path ? await sessions.saveFixed(path) : 0 };
    },
    'import:commit': ({ name }) => sessions.commit(name),
    'import:cancel-commit': () => ({ cancelled: sessions.cancelCommit() }),
    'import:close': () => ({ closed: sessions.close() }),

    'templates:list': async () => ({ templates: await settings.templates.list() }),
    'templates:save': (input) => settings.templates.save(input),
    'templates:delete': async ({ id }) => ({ deleted: await settings.templates.remove(id) }),

    'batches:list': (input) => sessions.listBatches(input),
    'batches:get': ({ id, errorsLimit, errorsOffset }) =>
      sessions.getBatch(id, { errorsLimit, errorsOffset }),
    'batches:errors': (input) => sessions.listBatchErrors(input),
    'batches:overview': ({ days }) => sessions.batchOverview(days),
    'batches:recheck': ({ id }) => sessions.recheckBatch(id),
    'batches:retry': ({ id }) => sessions.retryBatch(id),
    'batches:cancel': ({ id }) => sessions.cancelBatch(id),
    'batches:export-errors': async ({ id }) => {
      const batch = await sessions.getBatch(id);
      const path = await dialogs.saveCsv({
        title: 'Export the batch errors',
        defaultName: `${stem(batch.fileName ?? 'batch')}-${id.slice(0, 8)}-errors.csv`,
      });
      return { path, rows: path ? await sessions.exportBatchErrors(id, path) : 0 };
    },

    'batches:export-audit': async ({ id }) => {
      const batch = await sessions.getBatch(id, { errorsLimit: 0 });
      const path = await dialogs.saveCsv({
        title: 'Export the changes made before import',
        defaultName: `${stem(batch.fileName ?? 'batch')}-${id.slice(0, 8)}-changes.csv`,
      });
      return { path, rows: path ? await sessions.exportBatchAudit(batch, path) : 0 };
    },

    'import:row-numbers': ({ filter }) => ({ rows: sessions.current().rowNumbers(filter) }),
    'import:delete-filter': ({ filter, wholeTransactions }) =>
      sessions.deleteFilter(filter, wholeTransactions),
    'import:leave-out-preview': () => sessions.leaveOutPreview(),
    'import:leave-out-errors': () => sessions.leaveOutErrors(),
    'import:audit': () => sessions.auditTrail(),
    'import:parse-settings': () => sessions.parseSettings(),
    'import:reparse': ({ options }) => sessions.reparse(options),
    'import:id-labels': async ({ kind, ids }) => ({
      labels: await sessions.idLabels(kind, ids),
    }),
  };
}
