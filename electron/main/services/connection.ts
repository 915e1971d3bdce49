import { createImportRpc, type ImportRpc } from '../../../shared/db/import-rpc';
import { createPgTransport } from './db/pg-transport';
import { openSandbox } from './sandbox/sandbox';

// Where the engine's database calls go: an explicit PostgreSQL connection string, or the built-in
// sandbox. Connection strings carry passwords: they stay in this process and never reach logs.

export type DatabaseTarget =
  { kind: 'postgres'; url: string } | { kind: 'sandbox'; dataDir: string };

export interface OpenDatabase {
  rpc: ImportRpc;
  /** Safe to show: never contains a password. */
  label: string;
  /** The connection string, for main-process code that needs SQL beyond the RPC functions. */
  url: string;
  close(): Promise<void>;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: { log?: (line: string) => void } = {},
): Promise<OpenDatabase> {
  if (target.kind === 'postgres') {
    const transport = createPgTransport({ connectionString: target.url }, redactUrl(target.url));
    return {
      rpc: createImportRpc(transport),
      label: transport.label,
      url: target.url,
      close: () => transport.close(),
    };
  }
  const sandbox = await openSandbox(target.dataDir, options.log ? { log: options.log } : {});
  const transport = createPgTransport({ connectionString: sandbox.url }, 'sandbox');
  return {
    rpc: createImportRpc(transport),
    label: 'sandbox',
    url: sandbox.url,
    close: async () => {
      await transport.close();
      await sandbox.stop();
    },
  };
}

/** host:port/database of a connection string, without user or password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return 'postgresql (unparseable connection string)';
  }
}
