import { homedir, platform } from 'node:os';
import { join } from 'node:path';

const APP_FOLDER = 'purchase-import-console';

/**
 * The per-user data folder shared by the desktop app and the CLI, so both see the same sandbox
 * and settings. PURCHASE_IMPORT_HOME overrides it (tests, portable installs).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env['PURCHASE_IMPORT_HOME'];
  if (override) return override;
  switch (platform()) {
    case 'win32':
      return join(env['APPDATA'] ?? join(homedir(), 'AppData', 'Roaming'), APP_FOLDER);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_FOLDER);
    default:
      return join(env['XDG_CONFIG_HOME'] ?? join(homedir(), '.config'), APP_FOLDER);
  }
}
