import { describe, expect, it } from 'vitest';
import { createHandlers, FIXED_FILE_NOTICE, type HandlerDeps } from './handlers';

// The save dialogs as the handlers open them: "Save fixed file" writes values verbatim (its
// promise) and its dialog says so; the error export is the one made safe for spreadsheets.

function handlersWith(saved: { title: string; message?: string }[]) {
  const deps = {
    sessions: {
      current: () => ({ fileName: 'march.csv' }),
      saveFixed: async () => 3,
      exportErrors: async () => 2,
    },
    dialogs: {
      openCsv: async () => null,
      saveCsv: async (options: { title: string; defaultName: string; message?: string }) => {
        saved.push(options);
        return `/tmp/${options.defaultName}`;
      },
    },
  } as unknown as HandlerDeps;
  return createHandlers(deps);
}

describe('save dialogs', () => {
  it('"Save fixed file" says its values are written verbatim, formulas included', async () => {
    const saved: { title: string; message?: string }[] = [];
    const result = await handlersWith(saved)['import:save-fixed'](undefined);
    expect(result).toEqual({ path: '/tmp/march-fixed.csv', rows: 3 });
    expect(saved[0]?.title).toMatch(/exactly as in the preview/);
    expect(saved[0]?.message).toBe(FIXED_FILE_NOTICE);
    expect(FIXED_FILE_NOTICE).toMatch(/exactly as it is/);
    expect(FIXED_FILE_NOTICE).toMatch(/not made safe for spreadsheets/);
  });

  it('the error export makes no such warning (its cells are neutralised)', async () => {
    const saved: { title: string; message?: string }[] = [];
    await handlersWith(saved)['import:export-errors'](undefined);
    expect(saved[0]?.message).toBeUndefined();
  });
});
