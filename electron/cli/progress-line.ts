import { duration } from './cli-format';

// Progress on stderr: a redrawn bar on a terminal, a line per phase otherwise (logs stay short).
// Every phase is named with the time elapsed since the command started, and a phase change is
// always shown (a long "committing" no longer hides behind "100% staging").

/** Where the line goes: run-cli's CliIo has these (declared here so neither imports the other). */
export interface ProgressOutput {
  stderr: (text: string) => void;
  stderrIsTty: boolean;
}

export interface ProgressLine {
  update(label: string, fraction: number): void;
  done(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;
/** On a terminal the elapsed time keeps moving while a long phase (the commit) runs. */
const TICK_MS = 500;

export function createProgressLine(
  io: ProgressOutput,
  clock: () => number = Date.now,
): ProgressLine {
  const started = clock();
  let lastDraw = 0;
  let lastPhase = '';
  let drawn = false;
  let current: { label: string; fraction: number } | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;

  const draw = (): void => {
    if (!current) return;
    const clamped = Math.min(Math.max(current.fraction, 0), 1);
    const filled = Math.round(clamped * WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
    const elapsed = duration(clock() - started);
    io.stderr(
      `\r[${bar}] ${String(Math.round(clamped * 100)).padStart(3)}% ${current.label} · ${elapsed}\x1b[K`,
    );
    lastDraw = clock();
    drawn = true;
  };

  return {
    update(label, fraction) {
      const phase = label.split(' ')[0] ?? label;
      const changed = phase !== lastPhase;
      lastPhase = phase;
      if (!io.stderrIsTty) {
        if (changed) io.stderr(`${phase}… (${duration(clock() - started)} elapsed)\n`);
        return;
      }
      current = { label, fraction };
      if (!changed && clock() - lastDraw < REDRAW_MS && fraction < 1) return;
      draw();
      if (!ticker) {
        ticker = setInterval(draw, TICK_MS);
        ticker.unref?.();
      }
    },
    done() {
      if (ticker) clearInterval(ticker);
      ticker = null;
      if (drawn) io.stderr('\r\x1b[K');
      drawn = false;
      if (!io.stderrIsTty && lastPhase) io.stderr(`done (${duration(clock() - started)})\n`);
    },
  };
}
