import { useImportStore, type ImportPhase } from '../store';

const STEPS: { label: string; phases: ImportPhase[] }[] = [
  { label: 'Open file', phases: ['idle', 'opening'] },
  { label: 'Map columns', phases: ['mapping'] },
  { label: 'Review and fix', phases: ['preview'] },
  { label: 'Import', phases: ['commit'] },
];

export function Steps(): React.JSX.Element {
  const phase = useImportStore((s) => s.phase);
  const current = STEPS.findIndex((s) => s.phases.includes(phase));
  return (
    <ol className="steps" aria-label="Import steps">
      {STEPS.map((step, i) => (
        <li
          key={step.label}
          className={`step ${i === current ? 'step--current' : i < current ? 'step--done' : ''}`}
          aria-current={i === current ? 'step' : undefined}
        >
          <span className="step-number">{i + 1}</span>
          {step.label}
        </li>
      ))}
    </ol>
  );
}
