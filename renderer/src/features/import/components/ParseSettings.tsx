import { useState } from 'react';
import { CONTROL_LABELS } from '../../../lib/controls';
import { useImportStore, type ParseSettingsChoice } from '../store';

// How the file is read: its source's settings (a CSV's encoding and delimiter, a workbook's sheet),
// decimal comma, date format and time zone. Changing one reads
// the file again at once (the column mapping is kept). Opens by itself when the file has the
// kind of error one of these settings fixes.

const SETTING_CODES = new Set([
  'ambiguous_date',
  'invalid_date',
  'missing_time_zone',
  'ambiguous_number',
  'invalid_amount',
  'malformed_csv',
]);

type CsvSource = Extract<ParseSettingsChoice['source'], { format: 'csv' }>;

const DELIMITERS: [CsvSource['delimiter'], string][] = [
  [',', 'Comma ( , )'],
  [';', 'Semicolon ( ; )'],
  ['\t', 'Tab'],
  ['|', 'Pipe ( | )'],
];

const ENCODINGS: [NonNullable<CsvSource['encoding']> | '', string][] = [
  ['', 'Detected (UTF-8 unless marked)'],
  ['utf-8', 'UTF-8'],
  ['windows-1252', 'Windows (Western, 1252)'],
  ['iso-8859-1', 'Latin-1 (ISO 8859-1)'],
  ['utf-16le', 'UTF-16 LE'],
  ['utf-16be', 'UTF-16 BE'],
];

const DATE_FORMATS: [ParseSettingsChoice['dateFormat'], string][] = [
  ['iso', 'ISO (2026-03-04)'],
  ['dmy', 'Day/month (04/03/2026)'],
  ['mdy', 'Month/day (03/04/2026)'],
];

function timeZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return ['UTC', 'Europe/London', 'Europe/Paris', 'America/New_York'];
  }
}

export function ParseSettings(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const settings = useImportStore((s) => s.settings);
  const busy = useImportStore((s) => s.busy);
  const settingsChanged = useImportStore((s) => s.settingsChanged);
  const [zone, setZone] = useState<string | null>(null);
  const [zoneError, setZoneError] = useState<string | null>(null);
  if (!view || !settings) return null;
  const needed = Object.keys(view.summary.errorsByCode).some((c) => SETTING_CODES.has(c));
  const source = settings.source;
  const current: ParseSettingsChoice = {
    source,
    decimalComma: settings.decimalComma,
    dateFormat: settings.dateFormat,
    timeZone: settings.timeZone,
    fillOrderFields: settings.fillOrderFields ?? false,
  };
  const change = (next: Partial<ParseSettingsChoice>): void =>
    void settingsChanged({ ...current, ...next });
  const zoneText = zone ?? settings.timeZone ?? '';
  const zones = timeZones();
  const summary = [
    ...(source.format === 'csv'
      ? [
          ENCODINGS.find(([e]) => e === (source.encoding ?? ''))?.[1].replace(/ \(.*\)$/, '') ??
            source.encoding,
          DELIMITERS.find(([d]) => d === source.delimiter)?.[1] ?? source.delimiter,
        ]
      : [`sheet “${source.sheet}”`]),
    settings.decimalComma ? 'decimal comma' : 'decimal point',
    settings.dateFormat === 'iso'
      ? 'ISO dates'
      : settings.dateFormat === 'dmy'
        ? 'day/month'
        : 'month/day',
    settings.timeZone ?? 'no time zone',
  ].join(' · ');

  return (
    <details className="parse-settings" open={needed || undefined}>
      <summary>
        <span className="parse-settings-title">{CONTROL_LABELS.fileSettings}</span>
        <span className="muted small">{summary}</span>
      </summary>
      <div className="parse-settings-body" aria-busy={busy}>
        {source.format === 'csv' ? (
          <>
            <label className="field field--inline">
              <span className="field-label">{CONTROL_LABELS.encoding}</span>
              <select
                value={source.encoding ?? ''}
                disabled={busy}
                onChange={(e) =>
                  change({
                    source: {
                      ...source,
                      encoding: (e.target.value || null) as CsvSource['encoding'],
                    },
                  })
                }
              >
                {ENCODINGS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field field--inline">
              <span className="field-label">{CONTROL_LABELS.delimiter}</span>
              <select
                value={source.delimiter}
                disabled={busy}
                onChange={(e) =>
                  change({
                    source: { ...source, delimiter: e.target.value as CsvSource['delimiter'] },
                  })
                }
              >
                {DELIMITERS.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </label>
          </>
        ) : (
          <label className="field field--inline">
            <span className="field-label">{CONTROL_LABELS.sheet}</span>
            <select
              value={source.sheet}
              disabled={busy}
              onChange={(e) => change({ source: { ...source, sheet: e.target.value } })}
            >
              {source.sheets.map((sheet) => (
                <option key={sheet.name} value={sheet.name}>
                  {sheet.hidden ? `${sheet.name} (hidden)` : sheet.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="field field--inline checkbox">
          <input
            type="checkbox"
            checked={settings.decimalComma}
            disabled={busy}
            onChange={(e) => change({ decimalComma: e.target.checked })}
          />
          <span className="field-label">{CONTROL_LABELS.decimalComma}</span>
        </label>
        <label
          className="field field--inline checkbox"
          title="Web-shop exports give the customer, time and totals on an order's first row only: fill them down to its other rows"
        >
          <input
            type="checkbox"
            checked={settings.fillOrderFields ?? false}
            disabled={busy}
            onChange={(e) => change({ fillOrderFields: e.target.checked })}
          />
          <span className="field-label">{CONTROL_LABELS.fillOrderFields}</span>
        </label>
        <label className="field field--inline">
          <span className="field-label">{CONTROL_LABELS.dateFormat}</span>
          <select
            value={settings.dateFormat}
            disabled={busy}
            onChange={(e) =>
              change({ dateFormat: e.target.value as ParseSettingsChoice['dateFormat'] })
            }
          >
            {DATE_FORMATS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <form
          className="field field--inline"
          onSubmit={(e) => {
            e.preventDefault();
            const text = zoneText.trim();
            if (text && !zones.includes(text) && text !== 'UTC') {
              setZoneError(
                `“${text}” is not a time zone: choose one from the list (e.g. Europe/Paris).`,
              );
              return;
            }
            setZoneError(null);
            setZone(null);
            change({ timeZone: text || null });
          }}
        >
          <label className="field field--inline">
            <span className="field-label">{CONTROL_LABELS.timeZone}</span>
            <input
              list="time-zones"
              value={zoneText}
              placeholder="none (e.g. Europe/Paris)"
              disabled={busy}
              aria-describedby={zoneError ? 'time-zone-error' : 'time-zone-hint'}
              aria-invalid={zoneError ? true : undefined}
              onChange={(e) => {
                setZone(e.target.value);
                setZoneError(null);
              }}
            />
          </label>
          <datalist id="time-zones">
            {zones.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <button
            type="submit"
            className="button button--small"
            disabled={busy || zoneText.trim() === (settings.timeZone ?? '')}
          >
            Apply
          </button>
          <span id="time-zone-hint" className="sr-only">
            for date-times written without an offset
          </span>
          {zoneError && (
            <span id="time-zone-error" className="field-error" role="alert">
              {zoneError}
            </span>
          )}
        </form>
      </div>
    </details>
  );
}
