/**
 * Resource limits of every parse worker, in a module of their own so a process can start its
 * worker before it loads parse-file.ts and zod (build/cli-entry.ts).
 *
 * Parsing allocates millions of short-lived strings and arrays; with V8's default young
 * generation most of the worker's time went to scavenges. 64 MB measured ~2x faster at 100k rows
 * (warm worker: ~900 ms -> ~500 ms on the 2-CPU dev box); more brought nothing.
 */
export const PARSE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 64 };
