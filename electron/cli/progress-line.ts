import type { CliIo } from './run-cli';

// Progress on stderr: a redrawn bar on a terminal, a line per phase otherwise (logs stay short).

export interface ProgressLine {
  update(label: string, fraction: number): void;
  done(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export function createProgressLine(io: Pick<CliIo, 'stderr' | 'stderrIsTty'>): ProgressLine {
  let lastDraw = 0;
  let lastPhase = '';
  let drawn = false;
  return {
    update(label, fraction) {
      const phase = label.split(' ')[0] ?? label;
      if (!io.stderrIsTty) {
        if (phase !== lastPhase) io.stderr(`${phase}…\n`);
        lastPhase = phase;
        return;
      }
      const now = Date.now();
      if (now - lastDraw < REDRAW_MS && fraction < 1) return;
      lastDraw = now;
      const clamped = Math.min(Math.max(fraction, 0), 1);
      const filled = Math.round(clamped * WIDTH);
      const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
      io.stderr(`\r[${bar}] ${String(Math.round(clamped * 100)).padStart(3)}% ${label}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\x1b[K');
      drawn = false;
    },
  };
}
