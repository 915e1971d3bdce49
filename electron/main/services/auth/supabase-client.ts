import {
  createClient,
  type SupabaseClient,
  type SupabaseClientOptions,
  type WebSocketLikeConstructor,
} from '@supabase/supabase-js';

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
