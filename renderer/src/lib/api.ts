import type { Api } from '../../../shared/ipc/api';

declare global {
  interface Window {
    readonly api: Api;
  }
}

/** The main process, as the preload exposes it. The renderer has no other way out. */
export function api(): Api {
  return window.api;
}

/** The sentence to show for a failed call (main words its errors for people). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    // Electron prefixes errors that crossed IPC; ours travel as data, but be safe.
    return error.message.replace(/^Error invoking remote method '[^']+': (Error: )?/, '');
  }
  return String(error);
}
