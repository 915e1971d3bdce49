import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// Where the Supabase session (access and refresh token) rests between launches. The app
// encrypts it with the OS keychain through Electron's safeStorage; tests and the CLI keep it in
// memory. No store ever writes a token to disk in clear text.

export interface SecretStore {
  /** The stored secret, or null when there is none (or it can no longer be decrypted). */
  read(): Promise<string | null>;
  write(secret: string): Promise<void>;
  clear(): Promise<void>;
  /** False when secrets only live as long as the process (sign in again on the next start). */
  readonly persistent: boolean;
}

export function createMemorySecretStore(): SecretStore {
  let value: string | null = null;
  return {
    persistent: false,
    read: async () => value,
    write: async (secret) => {
      value = secret;
    },
    clear: async () => {
      value = null;
    },
  };
}

/**
 * The part of Electron's safeStorage this store uses. Electron 41's typings offer only the
 * synchronous calls; the async variants are used when a later Electron provides them.
 */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  encryptStringAsync?: (plainText: string) => Promise<Buffer>;
  decryptStringAsync?: (encrypted: Buffer) => Promise<string | { result: string }>;
  getSelectedStorageBackend?: () => string;
}

/**
 * A file holding the secret encrypted by safeStorage (mode 0600). When the OS offers no real
 * keychain (Linux's 'basic_text' backend encrypts with a hard-coded key), nothing is written and
 * the session lasts until the app quits.
 */
export function createSafeStorageSecretStore(
  safeStorage: SafeStorageLike,
  filePath: string,
): SecretStore {
  const usable = (): boolean =>
    safeStorage.isEncryptionAvailable() &&
    safeStorage.getSelectedStorageBackend?.() !== 'basic_text';
  let memory: string | null = null;
  const persistent = usable();
  return {
    persistent,
    async read() {
      if (!usable()) return memory;
      let encrypted: Buffer;
      try {
        encrypted = await readFile(filePath);
      } catch {
        return null;
      }
      try {
        if (safeStorage.decryptStringAsync) {
          const result = await safeStorage.decryptStringAsync(encrypted);
          return typeof result === 'string' ? result : result.result;
        }
        return safeStorage.decryptString(encrypted);
      } catch {
        // Encrypted under another OS account or keychain: useless, so forget it.
        await rm(filePath, { force: true });
        return null;
      }
    },
    async write(secret) {
      if (!usable()) {
        memory = secret;
        return;
      }
      const encrypted = safeStorage.encryptStringAsync
        ? await safeStorage.encryptStringAsync(secret)
        : safeStorage.encryptString(secret);
      await mkdir(dirname(filePath), { recursive: true, mode: 0o700 });
      // Write then rename, so a crash mid-write never leaves half a session behind.
      const temp = `${filePath}.${process.pid}.tmp`;
      await writeFile(temp, encrypted, { mode: 0o600 });
      await chmod(temp, 0o600);
      await rename(temp, filePath);
    },
    async clear() {
      memory = null;
      await rm(filePath, { force: true });
    },
  };
}
