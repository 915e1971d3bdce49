import {
  REQUIRED_COLUMNS,
  type CanonicalColumn,
  type KeyResolution,
  type ReferenceCheck,
  type RequiredColumn,
} from './types';

/**
 * Natural keys (issue 13): a file may name the member by e-mail (user_email) instead of user_id,
 * and the SKU by its code (sku_code) instead of sku_id; the database resolves them per merchant.
 *
 * In the engine a member or SKU is one opaque string compared for equality (grouping, packing,
 * the session's indexes): a lower-case UUID, or a key reference "email:<e-mail>" / "code:<code>".
 * Keeping one string rather than a second field leaves the hot path and the packed report as they
 * are; the prefixes keep a SKU code shaped like a UUID from passing for one.
 */

export const USER_KEY_PREFIX = 'email:';
export const SKU_KEY_PREFIX = 'code:';

/** How a file names members and SKUs; decided by its column mapping, never per row. */
export interface KeyMode {
  userByEmail: boolean;
  skuByCode: boolean;
}
export const ID_MODE: KeyMode = { userByEmail: false, skuByCode: false };

/** user_id wins when a file has both: keys are for files that have no UUIDs. */
export function keyModeOf(mapping: Partial<Record<CanonicalColumn, string>>): KeyMode {
  return {
    userByEmail: !mapping.user_id && Boolean(mapping.user_email),
    skuByCode: !mapping.sku_id && Boolean(mapping.sku_code),
  };
}

/** E-mails compare trimmed and case-insensitively (the database does the same). */
export function normalizeEmail(raw: string): string {
  return raw.trim().toLowerCase();
}

export const userKeyRef = (email: string): string => USER_KEY_PREFIX + email;
export const skuKeyRef = (code: string): string => SKU_KEY_PREFIX + code;

/** The e-mail a member reference names, or null for a UUID. */
export function userKeyOf(ref: string): string | null {
  return ref.startsWith(USER_KEY_PREFIX) ? ref.slice(USER_KEY_PREFIX.length) : null;
}

/** The code a SKU reference names, or null for a UUID. */
export function skuKeyOf(ref: string): string | null {
  return ref.startsWith(SKU_KEY_PREFIX) ? ref.slice(SKU_KEY_PREFIX.length) : null;
}

/** The column and value a member reference is shown as (errors, the grid). */
export function userRefCell(ref: string): { column: 'user_id' | 'user_email'; value: string } {
  const key = userKeyOf(ref);
  return key === null ? { column: 'user_id', value: ref } : { column: 'user_email', value: key };
}

export function skuRefCell(ref: string): { column: 'sku_id' | 'sku_code'; value: string } {
  const key = skuKeyOf(ref);
  return key === null ? { column: 'sku_id', value: ref } : { column: 'sku_code', value: key };
}

export interface ResolvedKeys {
  users: ReadonlyMap<string, KeyResolution>;
  skus: ReadonlyMap<string, KeyResolution>;
}

const resolvedCache = new WeakMap<object, ResolvedKeys>();

/** The check's keys by key; made once per check (the stepped check applies it slice by slice). */
export function resolvedKeys(
  check: Pick<ReferenceCheck, 'userKeys' | 'skuKeys'> | undefined,
): ResolvedKeys {
  const cached = check ? resolvedCache.get(check) : undefined;
  if (cached) return cached;
  const keys: ResolvedKeys = {
    users: new Map((check?.userKeys ?? []).map((k) => [k.key, k])),
    skus: new Map((check?.skuKeys ?? []).map((k) => [k.key, k])),
  };
  if (check) resolvedCache.set(check, keys);
  return keys;
}

/** "3f2c… (Alice Martin), 9a41… (A. Martin)": who shares an ambiguous key. */
export function describeCandidates(resolution: KeyResolution): string {
  return resolution.candidates.map((c) => `${c.id} (${c.name ?? 'no name'})`).join(', ');
}

/** A required column a natural key may stand in for: user_id by user_email, sku_id by sku_code. */
export const KEY_ALTERNATIVES: Readonly<Partial<Record<RequiredColumn, CanonicalColumn>>> = {
  user_id: 'user_email',
  sku_id: 'sku_code',
};

/** Required columns neither present nor stood in for by their key, in canonical order. */
export function missingRequiredColumns(
  has: (column: CanonicalColumn) => boolean,
): RequiredColumn[] {
  return REQUIRED_COLUMNS.filter((c) => {
    const alternative = KEY_ALTERNATIVES[c];
    return !has(c) && !(alternative !== undefined && has(alternative));
  });
}

/** "user_id (or user_email)": how a missing column is named to the user. */
export function describeRequiredColumn(column: RequiredColumn): string {
  const alternative = KEY_ALTERNATIVES[column];
  return alternative ? `${column} (or ${alternative})` : column;
}

/** Resolutions of keys asked again replace the earlier ones (a re-check after an edit). */
export function mergeKeyResolutions(
  before: readonly KeyResolution[] | undefined,
  answer: readonly KeyResolution[] | undefined,
): KeyResolution[] | undefined {
  if (!before && !answer) return undefined;
  const byKey = new Map<string, KeyResolution>();
  for (const k of before ?? []) byKey.set(k.key, k);
  for (const k of answer ?? []) byKey.set(k.key, k);
  return [...byKey.values()];
}

/**
 * The grid's key cells (as it asks for them: trimmed, lower case) and the check's resolution of
 * each: codes are exact, so the lower-cased text is matched back to the code's own spelling (two
 * codes differing only by case get none rather than the other's).
 */
export function keyCellResolutions(
  kind: 'sku' | 'user',
  cells: readonly string[],
  check: Pick<ReferenceCheck, 'userKeys' | 'skuKeys'> | undefined,
): { cell: string; resolution: KeyResolution }[] {
  if (!check) return [];
  const keys = resolvedKeys(check);
  const skusByLower = new Map<string, KeyResolution | null>();
  if (kind === 'sku') {
    for (const [key, resolution] of keys.skus) {
      const lower = key.toLowerCase();
      skusByLower.set(lower, skusByLower.has(lower) ? null : resolution);
    }
  }
  const out: { cell: string; resolution: KeyResolution }[] = [];
  const seen = new Set<string>();
  for (const raw of cells) {
    const cell = raw.trim().toLowerCase();
    if (cell === '' || seen.has(cell)) continue;
    seen.add(cell);
    const resolution =
      kind === 'user'
        ? keys.users.get(normalizeEmail(raw))
        : (keys.skus.get(raw.trim()) ?? skusByLower.get(cell));
    if (resolution?.id) out.push({ cell, resolution });
  }
  return out;
}

/**
 * What the grid shows for key cells: each e-mail or code the check resolved, with the name of its
 * member or SKU (`names`, by key; the check of a whole file carries none) and the UUID. Unknown
 * and shared keys get none: their cells carry the error instead.
 */
export function keyLabels(
  kind: 'sku' | 'user',
  cells: readonly string[],
  check: Pick<ReferenceCheck, 'userKeys' | 'skuKeys'> | undefined,
  names: ReadonlyMap<string, string | null> = new Map(),
): { id: string; label: string; detail: string | null }[] {
  return keyCellResolutions(kind, cells, check).map(({ cell, resolution }) => ({
    id: cell,
    label: resolution.name ?? names.get(resolution.key) ?? resolution.id ?? '',
    detail: resolution.id,
  }));
}

/** The reference check's answer about keys, as its RPC gives it (positional, see rpc-contract). */
export interface KeyAnswer {
  userKeyIds?: (string | null)[];
  skuKeyIds?: (string | null)[];
  userKeyNames?: (string | null)[];
  skuKeyNames?: (string | null)[];
  sharedUserKeys?: { key: string; candidates: { id: string; name: string | null }[] }[];
  sharedSkuKeys?: { key: string; candidates: { id: string; name: string | null }[] }[];
}

/**
 * The keys sent (as the engine normalised them) and the database's positional answer, as one
 * KeyResolution per key; undefined when no keys were sent.
 */
export function keyResolutionsOf(
  sent: readonly string[] | undefined,
  ids: readonly (string | null)[] | undefined,
  names: readonly (string | null)[] | undefined,
  shared: KeyAnswer['sharedUserKeys'],
): KeyResolution[] | undefined {
  if (!sent || sent.length === 0) return undefined;
  const candidates = new Map((shared ?? []).map((s) => [s.key, s.candidates]));
  return sent.map((key, i) => ({
    key,
    id: ids?.[i] ?? null,
    name: names?.[i] ?? null,
    candidates: candidates.get(key) ?? candidates.get(key.trim().toLowerCase()) ?? [],
  }));
}
