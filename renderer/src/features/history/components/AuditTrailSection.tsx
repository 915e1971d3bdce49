import type { AuditEntry, AuditTrail } from '../../../../../shared/db/rpc-contract';
import { errorLabel } from '../../../lib/error-codes';
import { formatCount, formatDate, plural } from '../../../lib/format';

/** Entries listed; the rest are counted (the export has them all). */
const SHOWN = 20;

/**
 * What the admin changed between the file and the batch: why a batch has 6 rows when the file
 * had 15, answered from the database on any machine.
 */
export function AuditTrailSection(props: { audit: AuditTrail }): React.JSX.Element {
  const { audit } = props;
  const t = audit.totals;
  return (
    <section className="audit-trail" aria-label="Changes before import">
      <h3 className="panel-subtitle">Changes before import</h3>
      <p>
        The file <strong>{audit.file.name}</strong> had {plural(audit.file.rows, 'row')}.{' '}
        {[
          t.rowsDeleted > 0 ? `${plural(t.rowsDeleted, 'row')} deleted` : null,
          t.rowsLeftOut > 0
            ? `${plural(t.rowsLeftOut, 'row')} left out (${plural(t.transactionsLeftOut, 'transaction')} with errors)`
            : null,
          t.cellsChanged > 0 ? `${plural(t.cellsChanged, 'cell')} changed` : null,
          t.replaceAlls > 0 ? `${plural(t.replaceAlls, 'value')} replaced everywhere` : null,
          audit.skippedAsImported.length > 0
            ? `${plural(audit.skippedAsImported.length, 'transaction')} skipped as already imported`
            : null,
        ]
          .filter((part): part is string => part !== null)
          .join(', ')}
        .
      </p>
      <ul className="audit-entries">
        {audit.entries.slice(0, SHOWN).map((entry, i) => (
          <li key={i}>
            <span className="muted small">{formatDate(entry.at)}</span> {describeEntry(entry)}
          </li>
        ))}
        {audit.entries.length > SHOWN && (
          <li className="muted small">
            and {formatCount(audit.entries.length - SHOWN)} more changes (Export changes… lists them
            all)
          </li>
        )}
      </ul>
    </section>
  );
}

function rowList(rows: readonly number[]): string {
  const shown = rows.slice(0, 8).join(', ');
  return rows.length > 8 ? `${shown} and ${formatCount(rows.length - 8)} more` : shown;
}

export function describeEntry(entry: AuditEntry): string {
  switch (entry.kind) {
    case 'cell-changed':
      return `Row ${entry.row}, ${entry.column}: “${entry.before}” → “${entry.after}”`;
    case 'replaced-all':
      return `${entry.column} “${entry.from}” → “${entry.to}” everywhere (${plural(entry.rows.length, 'row')}: ${rowList(entry.rows)})`;
    case 'rows-removed': {
      // 'errors' is the "all errors" filter: the sentence already says why.
      const problem =
        entry.problem && entry.problem !== 'errors' ? ` with “${errorLabel(entry.problem)}”` : '';
      const verb = entry.reason === 'deleted' ? 'Deleted' : 'Left out';
      return `${verb} ${plural(entry.rows.length, 'row')}${problem}: ${entry.rows.length === 1 ? 'row' : 'rows'} ${rowList(entry.rows)}`;
    }
  }
}
