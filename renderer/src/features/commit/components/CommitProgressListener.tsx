import { useEffect } from 'react';
import { api } from '../../../lib/api';
import { useCommitStore } from '../store';

/** Feeds event:commit-progress into the commit store for as long as the app runs. */
export function CommitProgressListener(): null {
  const progressReceived = useCommitStore((s) => s.progressReceived);
  useEffect(() => api().onCommitProgress(progressReceived), [progressReceived]);
  return null;
}
