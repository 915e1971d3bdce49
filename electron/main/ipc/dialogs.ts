/** Native file dialogs, injected so handlers run without Electron (tests host them too). */
export interface Dialogs {
  /** Resolves to the chosen file (CSV or .xlsx workbook), or null when cancelled. */
  openCsv(): Promise<string | null>;
  /** Resolves to the chosen path to write, or null when cancelled. */
  saveCsv(options: {
    title: string;
    defaultName: string;
    /** Shown in the dialog (macOS shows it under the title; elsewhere the title carries it). */
    message?: string;
  }): Promise<string | null>;
}
