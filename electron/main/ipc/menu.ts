import { app, Menu, type MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../../shared/ipc/contract';

// The application menu. Commands go to the renderer as event:menu, which runs the same action
// as the on-screen button, so there is one code path per command.

export function installMenu(send: (command: MenuCommand) => void): void {
  const isMac = process.platform === 'darwin';
  const item = (
    label: string,
    command: MenuCommand,
    accelerator?: string,
  ): MenuItemConstructorOptions => ({
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => send(command),
  });
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        item('Open CSV…', 'open', 'CmdOrCtrl+O'),
        { type: 'separator' },
        item('Import (commit)…', 'commit', 'CmdOrCtrl+Enter'),
        item('Export error rows…', 'export-errors', 'CmdOrCtrl+E'),
        item('Save fixed file…', 'save-fixed', 'CmdOrCtrl+Shift+S'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: '&Edit',
      submenu: [
        // Undo/redo of row fixes; text fields keep their own undo while they have focus.
        item('Undo fix', 'undo', 'CmdOrCtrl+Z'),
        item('Redo fix', 'redo', isMac ? 'Cmd+Shift+Z' : 'Ctrl+Y'),
        { type: 'separator' },
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
        { type: 'separator' },
        item('Find…', 'find', 'CmdOrCtrl+F'),
        item('Next error', 'next-error', 'F8'),
      ],
    },
    {
      label: '&View',
      submenu: [
        item('Connection', 'connection', 'CmdOrCtrl+1'),
        item('Import', 'import', 'CmdOrCtrl+2'),
        item('History', 'history', 'CmdOrCtrl+3'),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(app.isPackaged ? [] : [{ role: 'toggleDevTools' as const }]),
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
