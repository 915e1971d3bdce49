import {
  createClient,
  type SupabaseClient,
  type SupabaseClientOptions,
  type WebSocketLikeConstructor,
} from '@supabase/supabase-js';
import { projectUrlProblem } from '../../../shared/net/hosts';

// supabase-js builds a Realtime client on creation, and on Node 20 (the CLI, the tests) that
// throws for want of a WebSocket. The import never subscribes to Realtime, so where there is no
// native WebSocket it gets one that refuses to connect rather than a new dependency.

class NoRealtimeSocket {
  constructor() {
    throw new Error('Realtime is not used by the purchase import.');
  }
}

export function createSupabaseClient(
  url: string,
  key: string,
  options: SupabaseClientOptions<'public'> = {},
): SupabaseClient {
  // Every caller (app, CLI, tests) gets here: no key or token goes over plain http to another
  // machine, whatever a stored profile or an environment variable says.
  const problem = projectUrlProblem(url);
  if (problem) throw new Error(problem);
  const transport =
    (globalThis as { WebSocket?: WebSocketLikeConstructor }).WebSocket ??
    (NoRealtimeSocket as unknown as WebSocketLikeConstructor);
  return createClient(url, key, {
    ...options,
    realtime: { ...options.realtime, transport },
    global: {
      ...options.global,
      headers: { 'x-client-info': 'purchase-import-console', ...options.global?.headers },
    },
  });
}
