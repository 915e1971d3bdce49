// Types of build-cli.mjs (plain JavaScript: it runs at `npm ci` before anything is compiled).

export interface BuildCliResult {
  /** False when esbuild is not installed (the command then runs its sources through tsx). */
  built: boolean;
  /** Files recorded in the manifest besides the bundle's own. */
  files: number;
  ms: number;
}

export declare function buildCli(options?: {
  root?: string;
  log?: (line: string) => void;
}): Promise<BuildCliResult>;

/** esbuild's options for the command's two bundles (main with its chunks, the parse worker). */
export declare function cliBuildOptions(
  root: string,
  outDir: string,
): import('esbuild').BuildOptions[];
