import type { BrowserWindow, Rectangle } from 'electron';
import { DEFAULT_WINDOW, type SettingsStore, type WindowState } from './settings';

/** Restores bounds only when they still fit a connected display (monitors come and go). */
export function restoredBounds(
  saved: WindowState,
  displays: readonly Rectangle[],
): Partial<Rectangle> & { width: number; height: number } {
  const { x, y, width, height } = saved;
  if (x === undefined || y === undefined) return { width, height };
  const visible = displays.some(
    (d) => x + 100 > d.x && y + 50 > d.y && x + 100 < d.x + d.width && y + 50 < d.y + d.height,
  );
  return visible
    ? { x, y, width, height }
    : { width: DEFAULT_WINDOW.width, height: DEFAULT_WINDOW.height };
}

/** Saves size, position and maximized state when they change (debounced) and on close. */
export function trackWindowState(window: BrowserWindow, settings: SettingsStore): void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const save = (): void => {
    if (window.isDestroyed()) return;
    const maximized = window.isMaximized();
    const bounds = maximized ? window.getNormalBounds() : window.getBounds();
    void settings.window.write({ ...bounds, maximized }).catch(() => undefined);
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  window.on('resize', later);
  window.on('move', later);
  window.on('maximize', later);
  window.on('unmaximize', later);
  window.on('close', () => {
    if (timer) clearTimeout(timer);
    save();
  });
}
