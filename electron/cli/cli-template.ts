import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { findPreset, MAPPING_PRESETS } from '../../shared/domain/mapping-presets';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ParseOptions,
} from '../../shared/domain/types';
import { UsageError } from './cli-args';

// --template NAME|FILE: a column mapping for files whose headers the aliases do not cover. NAME is
// a preset shipped with the app (shopify-orders); FILE a JSON file holding a mapping, canonical
// column → header, either bare or as {"mapping": {…}} (the shape of the app's saved templates).
// A header given as "" maps the column to nothing (not in this file).

const mappingSchema = z.partialRecord(
  z.enum(CANONICAL_COLUMNS as unknown as [CanonicalColumn, ...CanonicalColumn[]]),
  z.string().max(200),
);
const templateFileSchema = z.union([z.object({ mapping: mappingSchema }), mappingSchema]);

export function templateOptions(template: string | undefined): Pick<ParseOptions, 'columnMapping'> {
  if (template === undefined) return {};
  const preset = findPreset(template);
  if (preset) return { columnMapping: preset.mapping };
  let text: string;
  try {
    text = readFileSync(template, 'utf8');
  } catch {
    throw new UsageError(
      `--template ${template}: neither a preset (${MAPPING_PRESETS.map((p) => p.id).join(', ')}) nor a file that can be read.`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--template ${template}: not JSON (${(error as Error).message}).`);
  }
  const parsed = templateFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(
      `--template ${template}: not a column mapping (${issue?.path.join('.') || 'the file'}: ${issue?.message ?? 'invalid'}); expected {"transaction_number": "Order", …}.`,
    );
  }
  const mapping = 'mapping' in parsed.data ? parsed.data.mapping : parsed.data;
  return { columnMapping: mapping as Partial<Record<CanonicalColumn, string>> };
}
