import { CommitStep } from '../features/commit/components/CommitStep';
import { useHistoryStore } from '../features/history/store';
import { LeaveOutDialog } from '../features/import/components/LeaveOutDialog';
import { useImportStore } from '../features/import/store';
import { useShellStore } from '../features/shell/store';
import { usePermission } from '../lib/access';

/**
 * The commit step wired to the rest of the app: the open file and its actions (import), what the
 * user may do (connection), and where a batch is shown afterwards (history). Features do not read
 * each other's stores; the app passes what one needs of another down as values and actions.
 */
export function CommitStepContainer(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const fileVersion = useImportStore((s) => s.version);
  const previewReturned = useImportStore((s) => s.previewReturned);
  const fileClosed = useImportStore((s) => s.fileClosed);
  const leaveOutRequested = useImportStore((s) => s.leaveOutRequested);
  const skipExistingToggled = useImportStore((s) => s.skipExistingToggled);
  const canFix = usePermission('fix');
  const screenChosen = useShellStore((s) => s.screenChosen);
  const batchSelected = useHistoryStore((s) => s.batchSelected);
  if (!view) return null;
  return (
    <CommitStep
      view={view}
      fileVersion={fileVersion}
      canFix={canFix}
      onBackToReview={previewReturned}
      onFileClosed={() => void fileClosed()}
      onLeaveOutRequested={() => void leaveOutRequested()}
      onSkipExistingRequested={() => void skipExistingToggled(true)}
      onOpenInHistory={(batchId) => {
        screenChosen('history');
        void batchSelected(batchId);
      }}
      leaveOutDialog={<LeaveOutDialog />}
    />
  );
}
