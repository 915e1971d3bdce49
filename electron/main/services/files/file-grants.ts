import { randomBytes } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, relative, resolve } from 'node:path';
import type { FileRef } from '../../../../shared/ipc/contract';

// Files by capability, not by path: the renderer never names a file. Main hands out an opaque,
// unguessable handle for each file the user chose (main's own open dialog, a drop the preload
// resolved through webUtils, main's own recent-files list) and every file channel takes a
// handle. A handle main did not issue is refused, so a compromised page cannot read
// /etc/passwd, an SSH key or the sandbox's password by naming it.

export type FileOrigin = 'dialog' | 'drop' | 'recent';

export class UnknownFileError extends Error {
  readonly kind = 'unknown_file';
  constructor() {
    super(
      'That file was not chosen in this window: open it again with "Choose a CSV file or Excel workbook…".',
    );
    this.name = 'UnknownFileError';
  }
}

export class RefusedFileError extends Error {
  readonly kind = 'refused_file';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedFileError';
  }
}

export interface RecentFilesStore {
  read(): Promise<string[]>;
  write(paths: string[]): Promise<void>;
}

export interface FileGrants {
  /** A handle for a file the user chose; the same path keeps its handle for this run. */
  grant(path: string, origin: FileOrigin): Promise<FileRef>;
  /** The path behind a handle main issued; UnknownFileError for anything else. */
  resolve(handle: string): string;
  /** The file of a handle, for display. */
  describe(handle: string): FileRef;
  /** Remembers an opened file at the top of the recent list. */
  remember(handle: string): Promise<void>;
  /** The recent files that still exist, each with a handle. */
  recent(): Promise<FileRef[]>;
}

export const RECENT_LIMIT = 10;

export interface FileGrantOptions {
  /** The app's data folder: its settings (secrets) and sandbox are never handed out as files. */
  dataDir: string;
  recents: RecentFilesStore;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function createFileGrants(options: FileGrantOptions): FileGrants {
  const byHandle = new Map<string, { path: string; name: string; origin: FileOrigin }>();
  const byPath = new Map<string, string>();
  // Where the app keeps secrets: encrypted connection strings and sessions, the sandbox's
  // password and its database files.
  const privateDirs = ['settings', 'sandbox'].map((name) => resolve(options.dataDir, name));

  /** Only regular files outside the app's private folders, by real path (no symlink tricks). */
  const check = async (path: string): Promise<string> => {
    if (!isAbsolute(path)) throw new RefusedFileError('A file is named by its full path.');
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new RefusedFileError(`"${basename(path)}" does not exist any more.`);
    }
    const info = await stat(real);
    if (!info.isFile()) throw new RefusedFileError(`"${basename(path)}" is not a file.`);
    for (const dir of privateDirs) {
      const dirReal = await realpath(dir).catch(() => dir);
      if (isInside(real, dir) || isInside(real, dirReal)) {
        throw new RefusedFileError('The app’s own settings and sandbox files cannot be imported.');
      }
    }
    return real;
  };

  const grants: FileGrants = {
    async grant(path, origin) {
      const real = await check(path);
      const known = byPath.get(real);
      if (known) return grants.describe(known);
      const handle = randomBytes(24).toString('base64url');
      const name = basename(real);
      byHandle.set(handle, { path: real, name, origin });
      byPath.set(real, handle);
      return { handle, name };
    },
    resolve(handle) {
      // Own properties only: a handle such as "__proto__" must not find anything.
      const entry = byHandle.get(handle);
      if (!entry) throw new UnknownFileError();
      return entry.path;
    },
    describe(handle) {
      const entry = byHandle.get(handle);
      if (!entry) throw new UnknownFileError();
      return { handle, name: entry.name };
    },
    async remember(handle) {
      const path = grants.resolve(handle);
      const list = await options.recents.read().catch(() => []);
      await options.recents.write([path, ...list.filter((p) => p !== path)].slice(0, RECENT_LIMIT));
    },
    async recent() {
      const list = await options.recents.read().catch(() => []);
      const refs: FileRef[] = [];
      for (const path of list) {
        try {
          refs.push(await grants.grant(path, 'recent'));
        } catch {
          // Moved, deleted or no longer a file: left out of the list.
        }
      }
      return refs;
    },
  };
  return grants;
}
