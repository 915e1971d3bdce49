// TEST DOUBLE — not PostgREST, not Supabase Auth (GoTrue), not Supabase's API gateway.
//
// A small HTTP server in front of the real test PostgreSQL that speaks the slice of Supabase's
// HTTP protocol the import uses, so supabase-js can be exercised end to end without a hosted
// project (no PostgREST or GoTrue binary is available here). Checked against PostgREST's
// "Errors" reference (SQLSTATE → HTTP status table, PGRST codes) and supabase-js / auth-js
// 2.109's request and response handling.
//
// What it implements:
// - API keys as Supabase's legacy keys are: HS256 JWTs (role anon / service_role) signed with
//   the project's JWT secret, required in the `apikey` header of every request (401 "No API key
//   found in request" / "Invalid API key", like the gateway).
// - POST /rest/v1/rpc/<fn> with the named arguments as a JSON object. `Authorization: Bearer
//   <jwt>` is verified (HS256, exp with PostgREST's 30 s clock-skew allowance): missing → anon;
//   invalid → 401 PGRST301; expired → 401 PGRST303 "JWT expired", with WWW-Authenticate.
//   The database is reached as Supabase sets PostgREST up: logged in as the `authenticator`
//   role (login, noinherit, granted anon, authenticated and service_role; created here when
//   missing), never as the superuser. Per request one transaction (read only for
//   stable/immutable functions, as PostgREST does): set_config('role', <role claim>) — the
//   role switch — request.jwt.claims (and the legacy request.jwt.claim.sub/.role),
//   request.method/path/headers, and the statement_timeout Supabase gives the role
//   (authenticated 8 s, anon 3 s, service_role none). Settings of the called function that
//   PostgREST hoists (db-hoisted-tx-settings, 12.2+: statement_timeout,
//   plan_filter.statement_cost_limit, default_transaction_isolation) are applied to the
//   request's transaction after the role's, so they win. The function is looked up in pg_proc by
//   name and argument names (PGRST202 / 404 when none matches) and called with its arguments
//   read through json_to_record with the declared types, as PostgREST does. Errors are PostgREST's
//   body {code, message, details, hint} with its status table (42501 → 401 for anon, else 403;
//   P0001 → 400; other P0* → 500; 57* → 500; 23503/23505 → 409; 08* → 503; 42883 → 404; …).
// - POST /auth/v1/token?grant_type=password|refresh_token, GET /auth/v1/user,
//   POST /auth/v1/logout for users created with createUser(): sessions in the shape auth-js
//   expects, HS256 access tokens with GoTrue's claims (sub, aud, role 'authenticated', email,
//   session_id, aal, amr, exp, iat), rotating refresh tokens (a used one is refused).
// - Fault injection: drop the TCP connection for the Nth call of a function before the database
//   runs it or after it committed, or answer 504 after the commit (a gateway timeout); optional
//   reset of request bodies over a size (as proxies do) and a gateway timeout (Supabase: ~60 s).
//
// What it does NOT do: table endpoints (/rest/v1/<table>), GET/HEAD rpc, Prefer headers,
// overloaded functions with defaults, set-returning functions beyond a JSON array, OpenAPI,
// schemas other than public, PostgREST's db-pre-request hook, asymmetric (ES256/RS256) JWTs and
// JWKS, new-style sb_publishable_/sb_secret_ keys, GoTrue's refresh-token reuse interval, sign
// up, e-mail confirmation, MFA, OAuth, rate limits, and bcrypt: passwords are checked against
// scrypt hashes held in this process's memory (auth.users gets only id and email).

import { createHmac, randomBytes, randomUUID, scryptSync, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { z } from 'zod';

export type ApiRole = 'anon' | 'authenticated' | 'service_role';

export interface GatewayOptions {
  databaseUrl: string;
  /** The project's JWT secret; random by default. */
  jwtSecret?: string;
  /** Lifetime of issued access tokens (GoTrue's default: 3600 s). */
  accessTokenTtlSeconds?: number;
  /** Allowed clock skew when checking exp and iat (PostgREST: 30 s). */
  clockSkewSeconds?: number;
  /** statement_timeout per role; null = the server's default (Supabase: service_role). */
  statementTimeouts?: Partial<Record<ApiRole, string | null>>;
  /** Connections to PostgreSQL (PostgREST's db-pool). */
  poolSize?: number;
  /** The API gateway gives up after this long and answers 504 (the call keeps running). */
  gatewayTimeoutMs?: number;
  /** Proxies reset request bodies over this many bytes (the socket is destroyed). */
  resetBodiesOverBytes?: number;
}

export type FaultWhen =
  /** The connection drops before the database sees the call. */
  | 'drop-before-db'
  /** The database runs and commits the call; then the connection drops (answer lost). */
  | 'drop-after-commit'
  /** The database commits; the gateway answers 504 instead of the result. */
  | 'gateway-timeout-after-commit';

export interface Fault {
  fn: string;
  /** 1 = the next call of fn after injectFault. */
  nth: number;
  when: FaultWhen;
}

export interface CallRecord {
  fn: string;
  role: ApiRole;
  status: number;
  /** From the request's arrival to the answer (or the dropped connection). */
  ms: number;
  /** Time inside PostgreSQL (begin → commit). */
  dbMs: number;
  requestBytes: number;
  /** Bytes of the JSON answer (0 until it is sent). */
  responseBytes: number;
  fault: FaultWhen | null;
}

export interface GatewayUser {
  id: string;
  email: string;
}

export interface SupabaseGateway {
  /** The project URL to hand to createClient. */
  readonly url: string;
  /** Legacy anon key (a JWT with role anon). */
  readonly anonKey: string;
  /** Legacy service_role key (bypasses the import's operator checks). */
  readonly serviceRoleKey: string;
  readonly calls: CallRecord[];
  /** Access tokens issued so far (sign-ins and refreshes). */
  readonly tokensIssued: number;
  createUser(email: string, password: string): Promise<GatewayUser>;
  /** Signs arbitrary claims with the project secret (for expired or forged tokens in tests). */
  signJwt(claims: Record<string, unknown>): string;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  setAccessTokenTtl(seconds: number): void;
  /** Changes a role's statement_timeout for later requests (as ALTER ROLE … SET and a reload). */
  setStatementTimeout(role: ApiRole, timeout: string | null): void;
  close(): Promise<void>;
}

const DEFAULT_TIMEOUTS: Record<ApiRole, string | null> = {
  anon: '3s',
  authenticated: '8s',
  service_role: null,
};

const jwtHeaderSchema = z.object({ alg: z.string(), typ: z.string().optional() });
const jwtClaimsSchema = z
  .object({
    role: z.string().optional(),
    sub: z.string().optional(),
    exp: z.number().optional(),
    iat: z.number().optional(),
    session_id: z.string().optional(),
  })
  .passthrough();
type JwtClaims = z.infer<typeof jwtClaimsSchema>;

const passwordGrantSchema = z.object({ email: z.string(), password: z.string() });
const refreshGrantSchema = z.object({ refresh_token: z.string() });
const rpcBodySchema = z.record(z.string(), z.unknown());

const procRowSchema = z.object({
  argnames: z.array(z.string()).nullable(),
  argtypes: z.array(z.string()),
  retset: z.boolean(),
  volatile: z.string(),
  config: z.array(z.string()).nullable(),
  defaults: z.number().int(),
});
interface ProcInfo {
  args: { name: string; type: string; optional: boolean }[];
  retset: boolean;
  readOnly: boolean;
  /** The function's own settings that PostgREST hoists into the transaction. */
  hoisted: { name: string; value: string }[];
}

/** PostgREST's default db-hoisted-tx-settings. */
const HOISTED_SETTINGS = new Set([
  'statement_timeout',
  'plan_filter.statement_cost_limit',
  'default_transaction_isolation',
]);
const ISOLATION_LEVELS = new Set(['read committed', 'repeatable read', 'serializable']);

/** PostgREST's login role on Supabase; the import trusts JWT claims only on its sessions. */
export const AUTHENTICATOR_ROLE = 'authenticator';
// A throwaway loopback cluster's test role: the password guards nothing of value.
const AUTHENTICATOR_PASSWORD = 'authenticator-test-double';

interface Session {
  id: string;
  userId: string;
  revoked: boolean;
}
interface RefreshToken {
  sessionId: string;
  used: boolean;
}
interface StoredUser extends GatewayUser {
  salt: Buffer;
  hash: Buffer;
  createdAt: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`);
  }
}

export async function startSupabaseGateway(options: GatewayOptions): Promise<SupabaseGateway> {
  const secret = options.jwtSecret ?? randomBytes(32).toString('base64url');
  const skew = options.clockSkewSeconds ?? 30;
  let ttl = options.accessTokenTtlSeconds ?? 3600;
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.statementTimeouts };
  // GoTrue's own connection (auth.users) stays the owner's; the API's is PostgREST's login role.
  const authPool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
  authPool.on('error', () => undefined);
  await ensureAuthenticatorRole(authPool);
  const pool = new pg.Pool({
    connectionString: authenticatorUrl(options.databaseUrl),
    max: options.poolSize ?? 10,
  });
  pool.on('error', () => undefined);

  const now = (): number => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>): string => signHs256(claims, secret);
  const anonKey = sign({
    iss: 'supabase',
    ref: 'test',
    role: 'anon',
    iat: now(),
    exp: now() + 1e8,
  });
  const serviceRoleKey = sign({
    iss: 'supabase',
    ref: 'test',
    role: 'service_role',
    iat: now(),
    exp: now() + 1e8,
  });

  const users = new Map<string, StoredUser>(); // by lower-case email
  const usersById = new Map<string, StoredUser>();
  const sessions = new Map<string, Session>();
  const refreshTokens = new Map<string, RefreshToken>();
  const procs = new Map<string, ProcInfo[]>();
  const faults: (Fault & { seen: number })[] = [];
  const calls: CallRecord[] = [];
  let tokensIssued = 0;
  let url = '';

  function verify(token: string): JwtClaims {
    const parts = token.split('.');
    if (parts.length !== 3) {
      throw jwtError('PGRST301', `Expected 3 parts in JWT; got ${parts.length}`);
    }
    const [head, body, signature] = parts as [string, string, string];
    const header = jwtHeaderSchema.safeParse(parseJsonSafe(fromBase64Url(head)));
    if (!header.success || header.data.alg !== 'HS256') {
      throw jwtError('PGRST301', 'No suitable key or wrong key type');
    }
    const expected = createHmac('sha256', secret).update(`${head}.${body}`).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw jwtError('PGRST301', 'No suitable key or wrong key type');
    }
    const claims = jwtClaimsSchema.safeParse(parseJsonSafe(fromBase64Url(body)));
    if (!claims.success) throw jwtError('PGRST303', 'JWT claims are invalid');
    if (claims.data.exp !== undefined && now() - skew > claims.data.exp) {
      throw jwtError('PGRST303', 'JWT expired');
    }
    if (claims.data.iat !== undefined && claims.data.iat > now() + skew) {
      throw jwtError('PGRST303', 'JWT issued at future');
    }
    return claims.data;
  }

  function checkApiKey(req: IncomingMessage): void {
    const key = header(req, 'apikey');
    if (!key) throw new HttpError(401, { message: 'No API key found in request' });
    if (key !== anonKey && key !== serviceRoleKey) {
      throw new HttpError(401, { message: 'Invalid API key' });
    }
  }

  function bearer(req: IncomingMessage): string | null {
    const value = header(req, 'authorization');
    if (!value) return null;
    const match = /^Bearer\s+(.+)$/i.exec(value);
    return match?.[1]?.trim() ?? null;
  }

  async function procInfo(fn: string): Promise<ProcInfo[]> {
    const cached = procs.get(fn);
    if (cached) return cached;
    const result = await pool.query(
      `select p.proargnames as argnames,
              array(select format_type(t, null) from unnest(p.proargtypes::oid[]) as t) as argtypes,
              p.proretset as retset, p.provolatile::text as volatile, p.proconfig as config,
              p.pronargdefaults as defaults
       from pg_catalog.pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.proname = $1`,
      [fn],
    );
    const infos = result.rows.map((row: unknown) => {
      const parsed = procRowSchema.parse(row);
      return {
        args: parsed.argtypes.map((type, index) => ({
          name: parsed.argnames?.[index] ?? '',
          type,
          // The last pronargdefaults parameters have defaults: a call may leave them out.
          optional: index >= parsed.argtypes.length - parsed.defaults,
        })),
        retset: parsed.retset,
        readOnly: parsed.volatile !== 'v',
        hoisted: (parsed.config ?? []).flatMap((entry) => {
          const at = entry.indexOf('=');
          const name = entry.slice(0, at);
          return at > 0 && HOISTED_SETTINGS.has(name) ? [{ name, value: entry.slice(at + 1) }] : [];
        }),
      };
    });
    procs.set(fn, infos);
    return infos;
  }

  function takeFault(fn: string): FaultWhen | null {
    // Every pending fault of fn counts this call; the first one due fires.
    for (const fault of faults) if (fault.fn === fn) fault.seen += 1;
    const due = faults.findIndex((fault) => fault.fn === fn && fault.seen === fault.nth);
    if (due < 0) return null;
    const [fault] = faults.splice(due, 1);
    return fault?.when ?? null;
  }

  async function handleRpc(
    req: IncomingMessage,
    res: ServerResponse,
    fn: string,
    raw: Buffer,
    started: number,
  ): Promise<void> {
    const token = bearer(req);
    const claims: JwtClaims = token ? verify(token) : { role: 'anon' };
    const roleClaim = claims.role ?? 'anon';
    if (roleClaim !== 'anon' && roleClaim !== 'authenticated' && roleClaim !== 'service_role') {
      throw new HttpError(401, pgrstBody('42501', `permission denied to set role "${roleClaim}"`));
    }
    const role: ApiRole = roleClaim;
    const record: CallRecord = {
      fn,
      role,
      status: 0,
      ms: 0,
      dbMs: 0,
      requestBytes: raw.length,
      responseBytes: 0,
      fault: null,
    };
    calls.push(record);
    const finish = (status: number): void => {
      record.status = status;
      record.ms = performance.now() - started;
    };

    const profile = header(req, 'content-profile');
    if (profile && profile !== 'public') {
      throw new HttpError(
        406,
        pgrstBody('PGRST106', 'The schema must be one of the following: public'),
      );
    }
    const parsedBody = rpcBodySchema.safeParse(raw.length === 0 ? {} : parseJsonSafe(raw));
    if (!parsedBody.success) {
      throw new HttpError(400, pgrstBody('PGRST102', 'Empty or invalid json'));
    }
    const args = parsedBody.data;
    const keys = Object.keys(args).sort();
    const candidates = await procInfo(fn);
    // As PostgREST: every given argument names a parameter, every parameter left out has a default.
    const proc = candidates.find(
      (info) =>
        keys.every((key) => info.args.some((a) => a.name === key)) &&
        info.args.every((a) => a.optional || keys.includes(a.name)),
    );
    if (!proc) {
      throw new HttpError(404, {
        code: 'PGRST202',
        details: `Searched for the function public.${fn}${keys.length ? ` with parameters ${keys.join(', ')}` : ' without parameters'} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
        hint: null,
        message: `Could not find the function public.${fn}(${keys.join(', ')}) in the schema cache`,
      });
    }

    const fault = takeFault(fn);
    record.fault = fault;
    if (fault === 'drop-before-db') {
      finish(0);
      req.socket.destroy();
      return;
    }

    const work = runInTransaction(pool, {
      fn,
      proc,
      args,
      role,
      claims,
      timeout: timeouts[role],
      headers: req.headers,
    });
    const gatewayTimeout = options.gatewayTimeoutMs;
    const outcome = await (gatewayTimeout
      ? Promise.race([work, sleep(gatewayTimeout).then(() => 'gateway-timeout' as const)])
      : work);
    if (outcome === 'gateway-timeout') {
      // The gateway gives up; PostgREST and the database carry on (and may commit).
      work.catch(() => undefined);
      finish(504);
      send(res, 504, { message: 'An invalid response was received from the upstream server' });
      return;
    }
    record.dbMs = outcome.dbMs;
    if (outcome.error) {
      const status = statusOf(outcome.error.code, role);
      finish(status);
      send(res, status, outcome.error);
      return;
    }
    if (fault === 'drop-after-commit') {
      finish(0);
      req.socket.destroy();
      return;
    }
    if (fault === 'gateway-timeout-after-commit') {
      finish(504);
      send(res, 504, { message: 'An invalid response was received from the upstream server' });
      return;
    }
    finish(200);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    record.responseBytes = Buffer.byteLength(outcome.json);
    res.end(outcome.json);
  }

  function issueSession(user: StoredUser, sessionId: string): Record<string, unknown> {
    const iat = now();
    const exp = iat + ttl;
    const accessToken = sign({
      iss: `${url}/auth/v1`,
      sub: user.id,
      aud: 'authenticated',
      exp,
      iat,
      email: user.email,
      phone: '',
      app_metadata: { provider: 'email', providers: ['email'] },
      user_metadata: {},
      role: 'authenticated',
      aal: 'aal1',
      amr: [{ method: 'password', timestamp: iat }],
      session_id: sessionId,
      is_anonymous: false,
    });
    tokensIssued += 1;
    const refreshToken = randomBytes(16).toString('base64url');
    refreshTokens.set(refreshToken, { sessionId, used: false });
    return {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: ttl,
      expires_at: exp,
      refresh_token: refreshToken,
      user: userJson(user),
    };
  }

  async function handleAuth(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: URLSearchParams,
    raw: Buffer,
  ): Promise<void> {
    if (req.method === 'POST' && path === '/auth/v1/token') {
      const grant = search.get('grant_type');
      const body = parseJsonSafe(raw);
      if (grant === 'password') {
        const parsed = passwordGrantSchema.safeParse(body);
        const user = parsed.success ? users.get(parsed.data.email.toLowerCase()) : undefined;
        if (!parsed.success || !user || !passwordMatches(user, parsed.data.password)) {
          throw authError(400, 'invalid_credentials', 'Invalid login credentials');
        }
        const sessionId = randomUUID();
        sessions.set(sessionId, { id: sessionId, userId: user.id, revoked: false });
        send(res, 200, issueSession(user, sessionId));
        return;
      }
      if (grant === 'refresh_token') {
        const parsed = refreshGrantSchema.safeParse(body);
        const stored = parsed.success ? refreshTokens.get(parsed.data.refresh_token) : undefined;
        const session = stored ? sessions.get(stored.sessionId) : undefined;
        if (!stored || !session || session.revoked) {
          throw authError(
            400,
            'refresh_token_not_found',
            'Invalid Refresh Token: Refresh Token Not Found',
          );
        }
        if (stored.used) {
          throw authError(400, 'refresh_token_already_used', 'Invalid Refresh Token: Already Used');
        }
        stored.used = true;
        const user = usersById.get(session.userId);
        if (!user) throw authError(404, 'user_not_found', 'User not found');
        send(res, 200, issueSession(user, session.id));
        return;
      }
      throw authError(400, 'validation_failed', 'unsupported_grant_type');
    }
    if (path === '/auth/v1/user' && req.method === 'GET') {
      const claims = verifyUserToken(req);
      const user = claims.sub ? usersById.get(claims.sub) : undefined;
      if (!user)
        throw authError(403, 'user_not_found', 'User from sub claim in JWT does not exist');
      send(res, 200, userJson(user));
      return;
    }
    if (path === '/auth/v1/logout' && req.method === 'POST') {
      const claims = verifyUserToken(req);
      const session = claims.session_id ? sessions.get(claims.session_id) : undefined;
      if (session) session.revoked = true;
      res.writeHead(204);
      res.end();
      return;
    }
    throw authError(404, 'not_found', 'Not found');
  }

  function verifyUserToken(req: IncomingMessage): JwtClaims {
    const token = bearer(req);
    if (!token) throw authError(401, 'no_authorization', 'This endpoint requires a Bearer token');
    try {
      const claims = verify(token);
      if (claims.role !== 'authenticated') throw new Error('not a user token');
      const session = claims.session_id ? sessions.get(claims.session_id) : undefined;
      if (!session || session.revoked) {
        throw authError(
          403,
          'session_not_found',
          'Session from session_id claim in JWT does not exist',
        );
      }
      return claims;
    } catch (error) {
      if (error instanceof HttpError && error.status !== 401) throw error;
      throw authError(403, 'bad_jwt', 'invalid JWT: unable to parse or verify signature');
    }
  }

  const server: Server = createServer((req, res) => {
    const started = performance.now();
    void (async () => {
      const parsedUrl = new URL(req.url ?? '/', 'http://gateway.test');
      const path = parsedUrl.pathname;
      try {
        const raw = await readBody(req, options.resetBodiesOverBytes);
        if (raw === null) return; // reset like a proxy would
        checkApiKey(req);
        const rpc = /^\/rest\/v1\/rpc\/([A-Za-z0-9_]+)$/.exec(path);
        if (rpc?.[1]) {
          if (req.method !== 'POST') {
            throw new HttpError(
              405,
              pgrstBody('PGRST117', `Unsupported HTTP method: ${req.method}`),
            );
          }
          await handleRpc(req, res, rpc[1], raw, started);
          return;
        }
        if (path.startsWith('/auth/v1/')) {
          await handleAuth(req, res, path, parsedUrl.searchParams, raw);
          return;
        }
        send(res, 404, { message: 'no Route matched with those values' });
      } catch (error) {
        if (res.headersSent || req.socket.destroyed) return;
        if (error instanceof HttpError) {
          send(res, error.status, error.body, error.headers);
          return;
        }
        send(res, 500, { message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  // undici keeps connections alive; a dropped one must not take the whole server down.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    get url() {
      return url;
    },
    anonKey,
    serviceRoleKey,
    calls,
    get tokensIssued() {
      return tokensIssued;
    },
    async createUser(email, password) {
      const result = await authPool.query<{ id: string }>(
        'insert into auth.users (email) values ($1) returning id',
        [email],
      );
      const id = result.rows[0]?.id;
      if (!id) throw new Error('createUser: no id returned');
      const salt = randomBytes(16);
      const user: StoredUser = {
        id,
        email,
        salt,
        hash: scryptSync(password, salt, 32),
        createdAt: new Date().toISOString(),
      };
      users.set(email.toLowerCase(), user);
      usersById.set(id, user);
      return { id, email };
    },
    signJwt: sign,
    injectFault(fault) {
      faults.push({ ...fault, seen: 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    setStatementTimeout(role, timeout) {
      timeouts[role] = timeout;
    },
    setAccessTokenTtl(seconds) {
      ttl = seconds;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
      await authPool.end();
    },
  };
}

/** The same server and database, logged in as PostgREST is. */
export function authenticatorUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = AUTHENTICATOR_ROLE;
  url.password = AUTHENTICATOR_PASSWORD;
  return url.toString();
}

/** Creates PostgREST's login role where the cluster lacks it, as Supabase's setup has it. */
export async function ensureAuthenticatorRole(admin: pg.Pool | pg.Client): Promise<void> {
  await admin.query(`
    do $$
    begin
      if not exists (select 1 from pg_catalog.pg_roles where rolname = '${AUTHENTICATOR_ROLE}') then
        create role ${AUTHENTICATOR_ROLE} login noinherit password '${AUTHENTICATOR_PASSWORD}';
      end if;
    exception when duplicate_object or unique_violation then
      null; -- a gateway of another test file created it meanwhile (roles are cluster-wide)
    end;
    $$`);
  await admin.query(`grant anon, authenticated, service_role to ${AUTHENTICATOR_ROLE}`);
}

interface TransactionInput {
  fn: string;
  proc: ProcInfo;
  args: Record<string, unknown>;
  role: ApiRole;
  claims: JwtClaims;
  timeout: string | null;
  headers: IncomingMessage['headers'];
}

type TransactionOutcome =
  | { error: null; json: string; dbMs: number }
  | { error: PostgrestErrorBody; json: null; dbMs: number };

interface PostgrestErrorBody {
  [key: string]: unknown;
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

async function runInTransaction(
  pool: pg.Pool,
  input: TransactionInput,
): Promise<TransactionOutcome> {
  const started = performance.now();
  const client = await pool.connect();
  let broken = false;
  try {
    const isolation = input.proc.hoisted.find(
      (setting) => setting.name === 'default_transaction_isolation',
    )?.value;
    await client.query(
      `begin isolation level ${isolation && ISOLATION_LEVELS.has(isolation) ? isolation : 'read committed'} ${input.proc.readOnly ? 'read only' : 'read write'}`,
    );
    try {
      await client.query(
        `select set_config('role', $1, true),
                set_config('request.jwt.claims', $2, true),
                set_config('request.jwt.claim.sub', $3, true),
                set_config('request.jwt.claim.role', $1, true),
                set_config('request.method', 'POST', true),
                set_config('request.path', $4, true),
                set_config('request.headers', $5, true),
                set_config('statement_timeout', $6, true)`,
        [
          input.role,
          JSON.stringify(input.claims),
          input.claims.sub ?? '',
          `/rpc/${input.fn}`,
          JSON.stringify(input.headers),
          input.timeout ?? '0',
        ],
      );
      for (const setting of input.proc.hoisted) {
        if (setting.name === 'default_transaction_isolation') continue;
        await client.query('select set_config($1, $2, true)', [setting.name, setting.value]);
      }
      const result = await client.query<{ result: string | null }>(
        callSql(input.fn, input.proc, Object.keys(input.args)),
        Object.keys(input.args).length ? [JSON.stringify(input.args)] : [],
      );
      await client.query('commit');
      return {
        error: null,
        json: result.rows[0]?.result ?? 'null',
        dbMs: performance.now() - started,
      };
    } catch (error) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      if (error instanceof pg.DatabaseError) {
        return {
          error: {
            code: error.code ?? 'XX000',
            details: error.detail ?? null,
            hint: error.hint ?? null,
            message: error.message,
          },
          json: null,
          dbMs: performance.now() - started,
        };
      }
      broken = true;
      return {
        error: {
          code: 'PGRST000',
          details: error instanceof Error ? error.message : String(error),
          hint: null,
          message: 'Database connection error. Retrying the connection.',
        },
        json: null,
        dbMs: performance.now() - started,
      };
    }
  } finally {
    client.release(broken);
  }
}

function callSql(fn: string, proc: ProcInfo, given: readonly string[]): string {
  const args = proc.args.filter((a) => given.includes(a.name));
  const named = args.map((a) => `${quoteIdent(a.name)} := _.${quoteIdent(a.name)}`);
  const columns = args.map((a) => `${quoteIdent(a.name)} ${a.type}`);
  const call = `public.${quoteIdent(fn)}(${named.join(', ')})`;
  const from = args.length ? ` from json_to_record($1::json) as _(${columns.join(', ')})` : '';
  if (proc.retset) {
    return `select coalesce(json_agg(r), '[]')::text as result${from ? `${from},` : ' from'} lateral ${call} as r`;
  }
  return `select to_json(${call})::text as result${from}`;
}

/** PostgREST's SQLSTATE → HTTP status table. */
export function statusOf(code: string, role: ApiRole): number {
  if (code === 'PGRST000') return 503;
  if (code === '42501') return role === 'anon' ? 401 : 403;
  if (code === '23503' || code === '23505') return 409;
  if (code === '25006') return 405;
  if (code === 'P0001') return 400;
  if (code === '42883' || code === '42P01') return 404;
  if (code === '42P17' || code === '53400') return 500;
  const prefix = code.slice(0, 2);
  if (prefix === '08' || prefix === '53') return 503;
  if (prefix === '0L' || prefix === '0P' || prefix === '28') return 403;
  if (
    [
      '09',
      '25',
      '2D',
      '38',
      '39',
      '3B',
      '40',
      '54',
      '55',
      '57',
      '58',
      'F0',
      'HV',
      'P0',
      'XX',
    ].includes(prefix)
  ) {
    return 500;
  }
  return 400;
}

function pgrstBody(code: string, message: string): PostgrestErrorBody {
  return { code, details: null, hint: null, message };
}

function jwtError(code: string, message: string): HttpError {
  return new HttpError(401, pgrstBody(code, message), {
    'www-authenticate': `Bearer error="invalid_token", error_description="${message}"`,
  });
}

// GoTrue's error body for clients that send no API version header.
function authError(status: number, errorCode: string, message: string): HttpError {
  return new HttpError(status, { code: status, error_code: errorCode, msg: message });
}

function userJson(user: StoredUser): Record<string, unknown> {
  return {
    id: user.id,
    aud: 'authenticated',
    role: 'authenticated',
    email: user.email,
    email_confirmed_at: user.createdAt,
    phone: '',
    confirmed_at: user.createdAt,
    last_sign_in_at: new Date().toISOString(),
    app_metadata: { provider: 'email', providers: ['email'] },
    user_metadata: {},
    identities: [],
    created_at: user.createdAt,
    updated_at: user.createdAt,
    is_anonymous: false,
  };
}

function passwordMatches(user: StoredUser, password: string): boolean {
  return timingSafeEqual(scryptSync(password, user.salt, 32), user.hash);
}

function signHs256(claims: Record<string, unknown>, secret: string): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${signature}`;
}

function fromBase64Url(text: string): Buffer {
  return Buffer.from(text, 'base64url');
}

function parseJsonSafe(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function send(
  res: ServerResponse,
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** The whole request body, or null when it was over the limit and the socket was reset. */
function readBody(req: IncomingMessage, limit: number | undefined): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (limit !== undefined && size > limit) {
        req.socket.destroy();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
