import { plural } from '../../../lib/format';
import { reviewState, stepStates } from '../review-state';
import { useImportStore, type ImportPhase } from '../store';

const STEPS: { label: string; phases: ImportPhase[] }[] = [
  { label: 'Open file', phases: ['idle', 'opening'] },
  { label: 'Map columns', phases: ['mapping'] },
  { label: 'Review and fix', phases: ['preview'] },
  { label: 'Import', phases: ['commit'] },
];
const REVIEW = 2;

export function Steps(): React.JSX.Element {
  const phase = useImportStore((s) => s.phase);
  const view = useImportStore((s) => s.view);
  const filter = useImportStore((s) => s.filter);
  const total = useImportStore((s) => s.total);
  const current = STEPS.findIndex((s) => s.phases.includes(phase));
  // "Review and fix" is ticked only when the file is ready, never because the user moved on.
  const review = reviewState(view, filter, total);
  const states = stepStates(STEPS.length, current, REVIEW, {
    ready: review.ready,
    hasFile: view !== null,
  });
  return (
    <ol className="steps" aria-label="Import steps">
      {STEPS.map((step, i) => {
        const open = states[i] === 'attention';
        const state = states[i] === 'todo' ? '' : `step--${states[i]}`;
        return (
          <li
            key={step.label}
            className={`step ${state}`}
            aria-current={i === current ? 'step' : undefined}
          >
            <span className="step-number">{i + 1}</span>
            {step.label}
            {open && <span className="sr-only"> (not finished: rows still have errors)</span>}
            {i === REVIEW && i === current && view && (
              <span className="step-note">
                {review.ready ? ' · ready' : ` · ${plural(review.errorRows, 'row')} to fix`}
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
}
