import type pg from 'pg';

// Calls left running on connections of their own, for tests of what waits for what in the
// database (staging-concurrency, open-batch): a test starts one, sees which lock it waits for,
// lets another go first, then settles it.

export interface RunningCall {
  /** The call's answer (its connection is released when it settles). */
  result: Promise<unknown>;
  /** Resolves with the type of the lock the call waits for, once it waits. */
  waitsFor(): Promise<string>;
}

/** Starts `sql` on a connection of its own from `pool` without waiting for its answer. */
export async function startCall(
  pool: pg.Pool,
  sql: string,
  values: unknown[],
): Promise<RunningCall> {
  const client = await pool.connect();
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
  const result = client.query<{ result: unknown }>(sql, values).then(
    (answer) => {
      client.release();
      return answer.rows[0]?.result;
    },
    (error: unknown) => {
      client.release();
      throw error;
    },
  );
  // Settled by the test; this only keeps an early refusal from being reported as unhandled.
  result.catch(() => undefined);
  return {
    result,
    async waitsFor() {
      for (let attempt = 0; attempt < 400; attempt++) {
        const waiting = await pool.query<{ locktype: string }>(
          'select locktype from pg_locks where pid = $1 and not granted',
          [pid],
        );
        const locktype = waiting.rows[0]?.locktype;
        if (locktype) return locktype;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`the call on backend ${pid} never waited for a lock`);
    },
  };
}
