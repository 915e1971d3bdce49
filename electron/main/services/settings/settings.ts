import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { normalizeHeader } from '../../../../shared/csv/column-mapping';
import { mappingTemplateSchema, type MappingTemplate } from '../../../../shared/ipc/contract';
import type { SecretStore } from '../../../core/auth/secret-store';
import { jsonFile, type JsonFile } from './json-file';

// The app's own settings in the data folder: window bounds, column-mapping templates and
// connection profiles. Connection strings are secrets: they live in a SecretStore (safeStorage in
// the app), never in these JSON files.

export const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean(),
});
export type WindowState = z.infer<typeof windowStateSchema>;

const templatesFileSchema = z.object({
  version: z.literal(1),
  templates: z.array(mappingTemplateSchema),
});

export const storedProfileSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  kind: z.enum(['postgres', 'supabase']),
  /** postgres: host:port/database (never the password); supabase: the project host. */
  label: z.string(),
  supabaseUrl: z.string().nullable(),
  supabaseAnonKey: z.string().nullable(),
});
export type StoredProfile = z.infer<typeof storedProfileSchema>;

const profilesFileSchema = z.object({
  version: z.literal(1),
  profiles: z.array(storedProfileSchema),
  activeId: z.string().nullable(),
  merchantByProfile: z.record(z.string(), z.string()),
});
type ProfilesFile = z.infer<typeof profilesFileSchema>;

/** Files the user opened, newest first: main's own list (the renderer never sends a path). */
const recentFilesSchema = z.object({
  version: z.literal(1),
  paths: z.array(z.string().min(1).max(4096)).max(50),
});

export interface SettingsStore {
  readonly dir: string;
  window: JsonFile<WindowState>;
  templates: {
    list(): Promise<MappingTemplate[]>;
    save(input: Omit<MappingTemplate, 'id' | 'savedAt'>): Promise<MappingTemplate>;
    remove(id: string): Promise<boolean>;
    /** The template saved for files with these headers (same set, any order or spelling). */
    forHeaders(headers: readonly string[]): Promise<MappingTemplate | null>;
  };
  profiles: {
    read(): Promise<ProfilesFile>;
    upsert(profile: Omit<StoredProfile, 'id'> & { id?: string }): Promise<StoredProfile>;
    remove(id: string): Promise<boolean>;
    setActive(id: string | null): Promise<void>;
    rememberMerchant(profileId: string, merchantId: string): Promise<void>;
  };
  recentFiles: {
    read(): Promise<string[]>;
    write(paths: string[]): Promise<void>;
  };
  /** Where a profile's connection string is kept (encrypted by the app's store factory). */
  secretFor(profileId: string): SecretStore;
}

export const DEFAULT_WINDOW: WindowState = { width: 1280, height: 820, maximized: false };

function headerKey(headers: readonly string[]): string {
  return headers
    .map(normalizeHeader)
    .filter((h) => h !== '')
    .sort()
    .join('|');
}

export function createSettingsStore(
  dataDir: string,
  secretStore: (path: string) => SecretStore,
  log: (line: string) => void = () => undefined,
): SettingsStore {
  const dir = join(dataDir, 'settings');
  const damaged = (path: string, reason: string): void =>
    log(`settings: ${path} could not be read (${reason}); using defaults`);
  const window = jsonFile(
    join(dir, 'window.json'),
    windowStateSchema,
    () => DEFAULT_WINDOW,
    damaged,
  );
  const templates = jsonFile(
    join(dir, 'templates.json'),
    templatesFileSchema,
    () => ({ version: 1 as const, templates: [] }),
    damaged,
  );
  const profiles = jsonFile(
    join(dir, 'profiles.json'),
    profilesFileSchema,
    (): ProfilesFile => ({ version: 1, profiles: [], activeId: null, merchantByProfile: {} }),
    damaged,
  );
  const recentFiles = jsonFile(
    join(dir, 'recent-files.json'),
    recentFilesSchema,
    () => ({ version: 1 as const, paths: [] }),
    damaged,
  );
  const secrets = new Map<string, SecretStore>();

  return {
    dir,
    window,
    templates: {
      list: async () => (await templates.read()).templates,
      save: async (input) => {
        const template: MappingTemplate = {
          ...input,
          id: randomUUID(),
          savedAt: new Date().toISOString(),
        };
        const key = headerKey(input.headers);
        await templates.update((file) => ({
          ...file,
          // One template per header set and name: saving again replaces it.
          templates: [
            template,
            ...file.templates.filter(
              (t) => !(t.name === input.name || (key !== '' && headerKey(t.headers) === key)),
            ),
          ],
        }));
        return template;
      },
      remove: async (id) => {
        let removed = false;
        await templates.update((file) => {
          const kept = file.templates.filter((t) => t.id !== id);
          removed = kept.length !== file.templates.length;
          return { ...file, templates: kept };
        });
        return removed;
      },
      forHeaders: async (headers) => {
        const key = headerKey(headers);
        const list = (await templates.read()).templates;
        return list.find((t) => headerKey(t.headers) === key) ?? null;
      },
    },
    profiles: {
      read: () => profiles.read(),
      upsert: async (input) => {
        const profile: StoredProfile = { ...input, id: input.id ?? randomUUID() };
        await profiles.update((file) => {
          const others = file.profiles.filter((p) => p.id !== profile.id);
          return { ...file, profiles: [...others, profile] };
        });
        return profile;
      },
      remove: async (id) => {
        let removed = false;
        await profiles.update((file) => {
          const kept = file.profiles.filter((p) => p.id !== id);
          removed = kept.length !== file.profiles.length;
          const merchantByProfile = Object.fromEntries(
            Object.entries(file.merchantByProfile).filter(([profileId]) => profileId !== id),
          );
          return {
            ...file,
            profiles: kept,
            activeId: file.activeId === id ? null : file.activeId,
            merchantByProfile,
          };
        });
        if (removed) await secretFor(id).clear();
        return removed;
      },
      setActive: async (id) => {
        await profiles.update((file) => ({ ...file, activeId: id }));
      },
      rememberMerchant: async (profileId, merchantId) => {
        await profiles.update((file) => ({
          ...file,
          merchantByProfile: { ...file.merchantByProfile, [profileId]: merchantId },
        }));
      },
    },
    recentFiles: {
      read: async () => (await recentFiles.read()).paths,
      write: async (paths) => {
        await recentFiles.write({ version: 1, paths });
      },
    },
    secretFor,
  };

  function secretFor(profileId: string): SecretStore {
    const safeId = profileId.replace(/[^A-Za-z0-9_-]/g, '_');
    let store = secrets.get(safeId);
    if (!store) {
      store = secretStore(join(dir, 'secrets', `${safeId}.bin`));
      secrets.set(safeId, store);
    }
    return store;
  }
}
