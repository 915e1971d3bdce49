import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';

/**
 * A small settings file: parsed with its zod schema on every read, so a hand-edited or damaged
 * file falls back to the default instead of crashing the app; written through a temp file and a
 * rename, so a crash mid-write never leaves half a file.
 */
export interface JsonFile<T> {
  readonly path: string;
  read(): Promise<T>;
  write(value: T): Promise<void>;
  update(change: (current: T) => T): Promise<T>;
}

export function jsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  fallback: () => z.output<S>,
  onDamaged: (path: string, reason: string) => void = () => undefined,
): JsonFile<z.output<S>> {
  // Serialise writes: two quick updates must not interleave their read-modify-write.
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (): Promise<z.output<S>> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return fallback();
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      onDamaged(path, 'not JSON');
      return fallback();
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      onDamaged(path, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
      return fallback();
    }
    return parsed.data;
  };
  const write = async (value: z.output<S>): Promise<void> => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await rename(temp, path);
  };
  return {
    path,
    read,
    write: (value) => {
      const next = queue.then(() => write(value));
      queue = next.catch(() => undefined);
      return next;
    },
    update: (change) => {
      const next = queue.then(async () => {
        const value = change(await read());
        await write(value);
        return value;
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
