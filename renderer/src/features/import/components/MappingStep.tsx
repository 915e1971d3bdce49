import { useMemo, useState } from 'react';
import {
  CANONICAL_COLUMNS,
  REQUIRED_COLUMNS,
  type CanonicalColumn,
  type RequiredColumn,
} from '../../../../../shared/domain/types';
import {
  describeRequiredColumn,
  KEY_ALTERNATIVES,
  missingRequiredColumns,
} from '../../../../../shared/domain/natural-keys';
import { CONTROL_LABELS } from '../../../lib/controls';
import { useImportStore } from '../store';

type Mapping = Partial<Record<CanonicalColumn, string>>;

const DESCRIPTIONS: Record<CanonicalColumn, string> = {
  transaction_number: 'Groups rows into one purchase',
  user_id: 'Member UUID',
  purchased_at: 'Date and time of the purchase',
  sku_id: 'Product UUID',
  quantity: 'Whole number ≥ 1',
  unit_price: 'Price per unit',
  currency: 'ISO code, e.g. EUR',
  total_amount: 'Purchase total',
  store_code: 'Store or branch',
  notes: 'Free text',
  user_email: 'Member e-mail, instead of user_id',
  sku_code: 'SKU code, instead of sku_id',
};

export function MappingStep(): React.JSX.Element | null {
  const pending = useImportStore((s) => s.mapping);
  const mappingConfirmed = useImportStore((s) => s.mappingConfirmed);
  const sheetChosen = useImportStore((s) => s.sheetChosen);
  const mappingAbandoned = useImportStore((s) => s.mappingAbandoned);
  const [mapping, setMapping] = useState<Mapping>(() => pending?.proposed ?? {});
  const [save, setSave] = useState(false);
  // Order fields on the first row only (issue 13): off unless ticked or a preset says so.
  const [fill, setFill] = useState(false);
  const [presetId, setPresetId] = useState<string | null>(null);
  // Columns a template or the user set: an automatic guess's "please check" no longer applies.
  const [confirmed, setConfirmed] = useState<ReadonlySet<CanonicalColumn>>(() => new Set());
  const [templateName, setTemplateName] = useState(
    () => pending?.fileName.replace(/\.[^.]+$/, '') ?? '',
  );

  const hints = useMemo(() => {
    const map = new Map<CanonicalColumn, string>();
    for (const s of pending?.suggestions ?? []) {
      if (!s.column) continue;
      if (s.kind === 'partial') map.set(s.column, `“${s.header}” looks like it — check`);
      if (s.kind === 'ambiguous') {
        for (const c of [s.column, ...s.alternatives]) {
          if (!map.has(c))
            map.set(
              c,
              `“${s.header}” could mean this or ${[s.column, ...s.alternatives].filter((x) => x !== c).join(', ')}`,
            );
        }
      }
    }
    return map;
  }, [pending]);

  if (!pending) return null;
  const used = new Map<string, CanonicalColumn[]>();
  for (const [column, header] of Object.entries(mapping) as [CanonicalColumn, string][]) {
    // '' is "not in this file" (a preset's Total): no header is used.
    if (header !== '') used.set(header, [...(used.get(header) ?? []), column]);
  }
  const missing = missingRequiredColumns((c) => Boolean(mapping[c])).map(describeRequiredColumn);
  const duplicates = [...used.entries()].filter(([, columns]) => columns.length > 1);
  const sampleOf = (header: string | undefined): string => {
    if (!header) return '';
    const index = pending.headers.indexOf(header);
    return pending.sample
      .map((r) => r[index] ?? '')
      .filter((v) => v !== '')
      .slice(0, 3)
      .join(' · ');
  };
  const unmapped = pending.headers.filter((h) => !used.has(h));
  const preset = presetId ? pending.templates.find((t) => t.id === presetId) : undefined;

  const applyTemplate = (id: string): void => {
    const template = pending.templates.find((t) => t.id === id);
    if (template) {
      setMapping({ ...template.mapping });
      setConfirmed(new Set(Object.keys(template.mapping) as CanonicalColumn[]));
    }
    setPresetId(template?.preset ? template.id : null);
    if (template?.fillOrderFields !== undefined) setFill(template.fillOrderFields);
  };

  return (
    <form
      className="mapping"
      aria-labelledby="mapping-heading"
      onSubmit={(e) => {
        e.preventDefault();
        if (missing.length > 0 || duplicates.length > 0) return;
        void mappingConfirmed(
          mapping,
          save && templateName.trim() ? templateName.trim() : null,
          fill,
        );
      }}
    >
      <div className="panel-head">
        <div>
          <h1 id="mapping-heading" className="panel-title">
            Map the columns of {pending.fileName}
          </h1>
          <p className="muted">
            {missing.length > 0
              ? `Some required columns were not recognised (${missing.join(', ')}). Choose which header holds each one.`
              : 'Check which header holds each column.'}{' '}
            Matches found automatically are preselected.
            {pending.source?.format === 'xlsx' && pending.source.sheets.length > 1
              ? ` This workbook has ${pending.source.sheets.length} sheets: the “${CONTROL_LABELS.sheet}” list says which one is read.`
              : ''}
          </p>
        </div>
        {pending.source?.format === 'xlsx' && pending.source.sheets.length > 1 && (
          <label className="field field--inline">
            <span className="field-label">{CONTROL_LABELS.sheet}</span>
            <select value={pending.source.sheet} onChange={(e) => void sheetChosen(e.target.value)}>
              {pending.source.sheets.map((sheet) => (
                <option key={sheet.name} value={sheet.name}>
                  {sheet.hidden ? `${sheet.name} (hidden)` : sheet.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {pending.templates.length > 0 && (
          <label className="field field--inline">
            <span className="field-label">Use a saved template</span>
            <select
              defaultValue={pending.templateId ?? ''}
              onChange={(e) => applyTemplate(e.target.value)}
            >
              <option value="">—</option>
              {pending.templates.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <table className="mapping-table">
        <thead>
          <tr>
            <th scope="col">Column</th>
            <th scope="col">Header in the file</th>
            <th scope="col">Sample values</th>
          </tr>
        </thead>
        <tbody>
          {CANONICAL_COLUMNS.map((column) => {
            // user_id is not needed when user_email names the member (sku_id / sku_code alike).
            const alternative = KEY_ALTERNATIVES[column as RequiredColumn];
            const required =
              (REQUIRED_COLUMNS as readonly string[]).includes(column) &&
              !(alternative && mapping[alternative]);
            const header = mapping[column];
            const clash = header ? (used.get(header)?.length ?? 0) > 1 : false;
            const suggestion = pending.suggestions.find(
              (s) => s.header === header && s.column === column,
            );
            const weak =
              !confirmed.has(column) &&
              suggestion &&
              (suggestion.kind === 'partial' || suggestion.kind === 'ambiguous');
            return (
              <tr key={column} className={!header && required ? 'row--missing' : ''}>
                <th scope="row">
                  <code>{column}</code>
                  {required ? (
                    <span className="required" aria-label="required">
                      {' '}
                      *
                    </span>
                  ) : (
                    <span className="muted small"> optional</span>
                  )}
                  <div className="muted small">{DESCRIPTIONS[column]}</div>
                </th>
                <td>
                  <select
                    aria-label={`Header for ${column}`}
                    value={header ?? ''}
                    aria-invalid={(!header && required) || clash}
                    onChange={(e) => {
                      const value = e.target.value;
                      setConfirmed((c) => new Set(c).add(column));
                      setMapping((m) => {
                        const next = { ...m };
                        if (value) next[column] = value;
                        else delete next[column];
                        return next;
                      });
                    }}
                  >
                    <option value="">
                      {required ? '— choose a header —' : '— not in this file —'}
                    </option>
                    {pending.headers.map((h) => (
                      <option key={h} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                  {clash && (
                    <div className="field-error">This header is used for another column too.</div>
                  )}
                  {!clash && weak && <div className="field-warning">Suggested — please check.</div>}
                  {!header && hints.get(column) && (
                    <div className="field-hint">{hints.get(column)}</div>
                  )}
                </td>
                <td className="sample">{sampleOf(header)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {preset?.preset && (
        <p className="muted small" data-testid="preset-note">
          {preset.name}: {preset.preset.description}. Not imported on purpose:{' '}
          {preset.preset.ignored.join(', ')}.
        </p>
      )}
      {unmapped.length > 0 && (
        <p className="muted small">Not imported: {unmapped.map((h) => `“${h}”`).join(', ')}.</p>
      )}
      <div className="mapping-footer">
        <label
          className="checkbox"
          title="Web-shop exports give the customer, time and totals on an order's first row only"
        >
          <input type="checkbox" checked={fill} onChange={(e) => setFill(e.target.checked)} />
          {CONTROL_LABELS.fillOrderFields}
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={save} onChange={(e) => setSave(e.target.checked)} />
          Save as a template for files with these headers
        </label>
        {save && (
          <input
            aria-label="Template name"
            className="template-name"
            value={templateName}
            onChange={(e) => setTemplateName(e.target.value)}
            maxLength={100}
          />
        )}
        <span className="spacer" />
        {missing.length > 0 && (
          <span className="field-error" role="status">
            Still needed: {missing.join(', ')}
          </span>
        )}
        <button type="button" className="button" onClick={mappingAbandoned}>
          Cancel
        </button>
        <button
          type="submit"
          className="button button--primary"
          disabled={missing.length > 0 || duplicates.length > 0}
        >
          Continue
        </button>
      </div>
    </form>
  );
}
