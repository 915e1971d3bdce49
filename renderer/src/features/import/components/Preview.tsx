import { useEffect, useState } from 'react';
import type { AuditTrail } from '../../../../../shared/ipc/contract';
import { api } from '../../../lib/api';
import { usePermission } from '../../../lib/access';
import { formatDuration, plural } from '../../../lib/format';
import { useImportStore } from '../store';
import { Grid } from './Grid';
import { IssuePanel } from './IssuePanel';
import { LeaveOutDialog } from './LeaveOutDialog';
import { ParseSettings } from './ParseSettings';
import { SelectionBar } from './SelectionBar';
import { ReplaceDialog } from './ReplaceDialog';
import { WrongMerchantCallout } from './WrongMerchantCallout';
import { SummaryBar } from './SummaryBar';
import { Toolbar } from './Toolbar';

export function Preview(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const replace = useImportStore((s) => s.replace);
  const fileClosed = useImportStore((s) => s.fileClosed);
  const canFix = usePermission('fix');
  const version = useImportStore((s) => s.version);
  const [audit, setAudit] = useState<AuditTrail | null>(null);
  useEffect(() => {
    let live = true;
    api()
      .importAudit()
      .then((trail) => live && setAudit(trail))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [version]);
  if (!view) return null;
  return (
    <div className="preview">
      <div className="preview-head">
        <div>
          <h1 className="file-name">{view.fileName}</h1>
          <p className="muted small">
            {audit && audit.file.rows !== view.counts.all
              ? `${plural(audit.file.rows, 'row')} in the file · ${plural(audit.file.rows - view.counts.all, 'row')} removed · ${plural(view.counts.all, 'row')} left`
              : `${plural(view.counts.all, 'row')} read`}{' '}
            and checked in {formatDuration(view.parseMs)}
            {view.edits > 0 ? ` · ${plural(view.edits, 'change')} not saved to the file` : ''}
            {!canFix ? ' · read-only: only admins can change rows' : ''}
          </p>
        </div>
        <button type="button" className="button button--quiet" onClick={() => void fileClosed()}>
          Close file
        </button>
      </div>
      <WrongMerchantCallout />
      <SummaryBar />
      {view.fileErrors.length > 0 && (
        <div className="callout callout--error" role="alert">
          <strong>The file cannot be imported as it is.</strong>
          <ul>
            {view.fileErrors.map((e, i) => (
              <li key={i}>
                {e.row === 1 ? 'Header: ' : ''}
                {e.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <ParseSettings />
      <Toolbar />
      <SelectionBar />
      <div className="preview-body">
        <Grid />
        <IssuePanel />
      </div>
      {replace && <ReplaceDialog />}
      <LeaveOutDialog />
    </div>
  );
}
