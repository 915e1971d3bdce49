// Types of cli-bundle.mjs (plain JavaScript so the command starts without a compiler).

export declare const BUNDLE_DIR: string;
export declare const MANIFEST_PATH: string;
export declare const MANIFEST_VERSION: number;
export declare const FROM_SOURCE_ENV: string;

export type BundleCheck = { fresh: true; entry: URL } | { fresh: false; reason: string };

export declare function checkBundle(root: string): BundleCheck;
export declare function fromSourceRequested(env: NodeJS.ProcessEnv): boolean;
