/**
 * The one module that talks to `pg`. Everything else sees a `Session`: one connection,
 * queries, notices, transaction status and COPY FROM STDIN.
 */
import { isIP, Socket } from 'node:net';
import { hostname, userInfo } from 'node:os';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Pg from 'pg';
import { lookupPasswordFile, sslPlan, type ConnInfo, type TlsOptions } from '../connection-settings';
import type { Target } from '../target';
import { ConnectionError, PgpatchError, SqlError, UsageError, type ServerMessage } from '../errors';

export type { Target } from '../target';

/**
 * `pg` checks at load time whether it runs in a Cloudflare Worker: without a global
 * `navigator` (Node < 21) it builds a fetch `Response`, which makes Node 20 load undici:
 * ~30 ms of every command that connects (measured in bench/RESULTS.md). A `navigator` that
 * exists only while `pg` loads answers the check at once; Node 21+ has its own and is left alone.
 */
function loadPg(): typeof Pg {
  const g = globalThis as { navigator?: unknown };
  const borrowed = g.navigator === undefined;
  if (borrowed) g.navigator = { userAgent: `Node.js/${process.versions.node}` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, under the borrowed navigator
    return require('pg') as typeof Pg;
  } finally {
    if (borrowed) delete g.navigator;
  }
}

const pg = loadPg();

export type Notice = ServerMessage;

/** An error the server sent, as `pg` gives it (other modules name it without importing `pg`). */
export type DatabaseError = Pg.DatabaseError;

export interface SessionOptions {
  /** Shown in pg_stat_activity. Default: "pgpatch on <hostname>". */
  applicationName?: string;
}

export function defaultApplicationName(): string {
  return `pgpatch on ${hostname()}`;
}

/**
 * One connection, as the rest of pgpatch sees it: queries, batches, notices, transaction status
 * and COPY FROM STDIN.
 *
 * The session hands `pg` one query at a time and keeps its own queue: `pg` deprecates queueing a
 * query behind a running one (it prints a DeprecationWarning; pg 9 removes it). What it hands
 * over goes through `pg`'s public API: `client.query` with a callback, and query objects with a
 * `submit` method (the Submittable of its documentation, the way pg-cursor plugs in). A batch can
 * also be written to the server before the one before it has finished (sendAhead): the server
 * then goes from one to the next without waiting for this client.
 */
export class Session {
  private noticeListener: ((n: Notice) => void) | undefined;
  /** Work whose message is written to the server, oldest first: `pg` follows the first. */
  private readonly sent: Work[] = [];
  /** Work waiting for the server to answer what was sent. */
  private readonly waiting: Work[] = [];
  /** Told when nothing is sent or waiting any more. */
  private idleWaiters: Array<() => void> = [];
  /** `pg`'s connection, as `pg` hands it to a query object (BatchQuery.submit): sendAhead writes on it. */
  private wire: Pg.Connection | undefined;

  constructor(
    private client: Pg.Client,
    readonly target: Target,
  ) {
    this.listen(client);
  }

  /**
   * A notice belongs to the work the server answers now: the first sent. Known without asking
   * `pg` which query it follows: work ends (and the next becomes first) in `pg`'s handler of the
   * reply that ends it, before `pg` reads the next reply.
   */
  private listen(client: Pg.Client): void {
    client.on('notice', (msg) => {
      const listener = this.sent[0]?.onNotice ?? this.noticeListener;
      listener?.(toServerMessage(msg));
    });
  }

  /** Server notices (RAISE NOTICE, warnings) go to this listener until it is replaced. */
  onNotice(listener: ((n: Notice) => void) | undefined): void {
    this.noticeListener = listener;
  }

  /** Hands `work` to `pg` now if nothing is in flight, else after what is. */
  private enqueue(work: Work): void {
    if (this.sent.length === 0 && this.waiting.length === 0) {
      this.sent.push(work);
      work.start();
    } else {
      this.waiting.push(work);
    }
  }

  /**
   * Called by the first sent work as soon as `pg` is done with it (inside `pg`'s handler): the
   * next one goes to `pg` at once, so that the replies to a batch sent ahead find it there.
   * After an error `pg` still waits for ReadyForQuery: it holds the next one until then.
   */
  private finished(work: Work): void {
    if (this.sent[0] !== work) return;
    this.sent.shift();
    const next = this.sent[0] ?? this.waiting.shift();
    if (next) {
      if (next !== this.sent[0]) this.sent.push(next);
      next.start();
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * A plain query of `pg`, answered through its callback (which `pg` calls in its handler). Text
   * goes as text: `pg` copies a config object, property by property, for every query.
   */
  private pgQuery<R>(query: string | Pg.QueryArrayConfig, values?: unknown[]): Promise<R> {
    return new Promise((resolve, reject) => {
      const callback = (err: Error | null, result: unknown) => {
        this.finished(work);
        if (err) reject(err);
        else resolve(result as R);
      };
      const work: Work = {
        pipelinable: true,
        start: () => {
          if (typeof query !== 'string') this.client.query(query, callback);
          else if (values) this.client.query(query, values, callback);
          else this.client.query(query, callback);
        },
      };
      this.enqueue(work);
    });
  }

  /** Runs SQL with the simple query protocol (no parameters) or the extended one (with). */
  async query<R extends Pg.QueryResultRow = Pg.QueryResultRow>(text: string, params?: unknown[]): Promise<Pg.QueryResult<R>> {
    return this.pgQuery<Pg.QueryResult<R>>(text, params);
  }

  /**
   * Rows as arrays of values, in the order of the select list: for reads of many rows (the
   * record of 10,000 patches), where an object per row, keyed by column name, costs more.
   */
  async rows(text: string, params?: unknown[]): Promise<unknown[][]> {
    const r = await this.pgQuery<Pg.QueryArrayResult>({ text, values: params, rowMode: 'array' });
    return r.rows;
  }

  /**
   * Sends several statements as one simple-query message: one round trip instead of one per
   * statement. The server runs them in order and stops at the first error (the rest do not
   * run). `onProgress` is told how many have completed, so notices can be placed. A server
   * error is returned, not thrown, with the count of statements completed before it; a broken
   * connection rejects. Limits: the server parses the whole text before it runs any of it, so
   * a statement that changes how later text is read (standard_conforming_strings,
   * client_encoding) does not apply to the rest of the batch: callers keep those out.
   */
  batch(text: string, handlers: BatchHandlers = {}): Promise<BatchResult> {
    return new Promise((resolve, reject) => {
      const query = new BatchQuery(
        text,
        handlers,
        resolve,
        reject,
        false,
        (w) => this.finished(w),
        (c) => (this.wire = c),
      );
      query.start = () => this.client.query(query);
      this.enqueue(query);
    });
  }

  /**
   * A batch written to the server now, while what was sent before it may still run there: the
   * server starts it as soon as that ends, without waiting for this client to read the result
   * and answer (migrate keeps the server busy this way: sendPatch in migrate/apply.ts). Its
   * replies are followed once those before it have been read. With nothing in flight, it is a
   * batch. Returns undefined, sending nothing, when it would overtake work not yet sent, or
   * follow a COPY (whose data the server would read as its own).
   */
  sendAhead(text: string, handlers: BatchHandlers = {}): Promise<BatchResult> | undefined {
    if (this.sent.length === 0 && this.waiting.length === 0) return this.batch(text, handlers);
    const wire = this.wire;
    if (!wire || this.waiting.length > 0 || !this.sent.every((w) => w.pipelinable)) return undefined;
    return new Promise((resolve, reject) => {
      const query = new BatchQuery(
        text,
        handlers,
        resolve,
        reject,
        true,
        (w) => this.finished(w),
        () => undefined,
      );
      query.start = () => this.client.query(query);
      wire.query(text);
      this.sent.push(query);
    });
  }

  /** Resolves once nothing is in flight. */
  private idle(): Promise<void> {
    if (this.sent.length === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** 'I' idle, 'T' in a transaction, 'E' in a failed transaction. */
  transactionStatus(): 'I' | 'T' | 'E' {
    return (this.client.getTransactionStatus() ?? 'I') as 'I' | 'T' | 'E';
  }

  /** Runs a `COPY ... FROM STDIN` statement with the data from `source`. */
  async copyFrom(sql: string, source: Readable): Promise<number> {
    const { from } = await import('pg-copy-streams');
    return new Promise((resolve, reject) => {
      const work: Work = {
        // The server reads what follows a COPY as its data.
        pipelinable: false,
        start: () => {
          const sink = this.client.query(from(sql));
          pipeline(source, sink).then(
            () => {
              this.finished(work);
              resolve((sink as unknown as { rowCount: number }).rowCount);
            },
            (e: unknown) => {
              this.finished(work);
              reject(e);
            },
          );
        },
      };
      this.enqueue(work);
    });
  }

  /**
   * Goes on as a new connection to the same server, `fresh`, once nothing is in flight here:
   * this one is ended. For a session that must start over as a new one would (settings of the
   * database or the role changed: see migrate/apply.ts). The backend pid changes.
   */
  async replaceWith(fresh: Session): Promise<void> {
    await this.idle();
    const old = this.client;
    this.client = fresh.client;
    this.client.removeAllListeners('notice');
    this.listen(this.client);
    this.wire = undefined;
    await old.end().catch(() => undefined);
  }

  /** The local TCP port of this connection (undefined over a Unix socket). */
  get localPort(): number | undefined {
    const conn = (this.client as unknown as { connection?: { stream?: { localPort?: number } } }).connection;
    return conn?.stream?.localPort;
  }

  get processId(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  /** Server parameter as reported at connection (server_version, standard_conforming_strings ...). */
  async setting(name: string): Promise<string> {
    const r = await this.query<{ v: string }>('select current_setting($1) as v', [name]);
    return r.rows[0].v;
  }

  async end(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  /** Ends the connection without waiting, for when the server or the network is gone. */
  destroy(): void {
    const conn = (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection;
    conn?.stream?.destroy();
  }
}

/** Something the session hands to `pg`, one at a time (see Session). */
interface Work {
  /** Hands it to `pg`, which writes it (unless it is written already) and follows its replies. */
  start(): void;
  /** Its notices; the session's listener when it has none. */
  onNotice?: (n: Notice) => void;
  /** A simple Query message: another may be written behind it before it ends (not a COPY). */
  pipelinable: boolean;
}

export interface BatchHandlers {
  /** Told how many statements have completed, after each. */
  onProgress?: (completed: number) => void;
  onNotice?: (n: Notice) => void;
  /** Each row a statement returns, as text values, with the count of statements completed before it. */
  onRow?: (completed: number, values: Array<string | null>) => void;
}

export interface BatchResult {
  /** Statements completed (all of them when there is no error). */
  completed: number;
  error?: Pg.DatabaseError;
}

/**
 * A query object as `pg` accepts one besides its own (a Submittable, the way pg-cursor plugs
 * in): it writes one Query message and follows the replies, without building a result per
 * statement.
 */
class BatchQuery implements Work {
  private completed = 0;
  private settled = false;
  readonly pipelinable = true;
  readonly onNotice: ((n: Notice) => void) | undefined;
  start: () => void = () => undefined;

  /** `written`: already written (Session.sendAhead); `pg`'s turn to submit it writes nothing. */
  constructor(
    private readonly text: string,
    private readonly handlers: BatchHandlers,
    private readonly resolve: (r: BatchResult) => void,
    private readonly reject: (e: unknown) => void,
    private readonly written: boolean,
    private readonly ended: (w: Work) => void,
    private readonly gotConnection: (c: Pg.Connection) => void,
  ) {
    this.onNotice = handlers.onNotice;
  }

  submit(connection: Pg.Connection): void {
    this.gotConnection(connection);
    if (!this.written) connection.query(this.text);
  }

  handleCommandComplete(): void {
    this.completed++;
    this.handlers.onProgress?.(this.completed);
  }

  handleDataRow(msg: { fields: Array<string | null> }): void {
    this.handlers.onRow?.(this.completed, msg.fields);
  }

  /**
   * `pg` lets go of the query at an error (it does not pass on the ReadyForQuery that follows),
   * so the batch ends here. The transaction status may not be updated yet: callers that go on
   * after an error send ROLLBACK (queued behind the ReadyForQuery) rather than read it.
   */
  handleError(e: unknown): void {
    this.ended(this);
    if (e instanceof pg.DatabaseError) this.finish(e);
    else this.fail(e);
  }

  handleReadyForQuery(): void {
    this.ended(this);
    this.finish();
  }

  /** COPY ... FROM STDIN has no data here; the server then reports the COPY as failed. */
  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail('COPY FROM STDIN has no data in a batch');
  }

  handleRowDescription(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}

  private finish(error?: Pg.DatabaseError): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve({ completed: this.completed, error });
  }

  private fail(e: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }
}

/** Servers (host:port) that answered "no TLS" in this process: `prefer` does not ask them again. */
const plainOnly = new Set<string>();

/**
 * Connects as libpq would with the same settings (see connection-settings.ts): `prefer` tries
 * TLS and then a plain connection, `allow` the other way round; other modes make one attempt.
 * A `prefer` server that answers "no TLS" is spoken to in plain text on the same connection, as
 * libpq does (see negotiatePrefer); the plain attempt is for a TLS handshake that failed.
 */
export async function connect(target: Target, options: SessionOptions = {}): Promise<Session> {
  const { info } = target;
  if (!info) throw new UsageError('a target is made by targetFrom(connectionString) (pgpatch reads the string once, as libpq does)');
  const plan = sslPlan(info);
  const server = `${info.hostaddr ?? info.host ?? ''}:${info.port ?? ''}`;
  const attempts = plan.mode === 'prefer' && plainOnly.has(server) ? ['plain' as const] : plan.attempts;
  let failure: unknown;
  for (const [i, attempt] of attempts.entries()) {
    const config = clientConfig(info, attempt === 'tls' ? plan.tls! : false, options);
    let client: Pg.Client | undefined;
    try {
      if (attempt === 'tls' && plan.mode === 'prefer' && config.sslnegotiation !== 'direct') {
        const stream = await negotiatePrefer(config, plan.tls!);
        if (!stream.encrypted) plainOnly.add(server);
        // The stream is connected (and encrypted when the server could): pg only speaks on it.
        config.ssl = false;
        config.stream = () => stream.socket;
      }
      client = new pg.Client(config);
      // An error event on an idle client would otherwise crash the process; the next query reports it.
      client.on('error', () => undefined);
      await client.connect();
      return new Session(client, target);
    } catch (e) {
      await client?.end().catch(() => undefined);
      failure = e;
      if ((e as Error).message === NO_TLS) plainOnly.add(server);
      if (i === attempts.length - 1 || !worthAnotherTry(e)) break;
    }
  }
  throw new ConnectionError(target.display, (failure as Error).message, failure);
}

const NO_TLS = 'The server does not support SSL connections';

/** The SSLRequest message: its length (8) and the request code 1234.5679. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/**
 * sslmode=prefer as libpq does it, on one connection: SSLRequest; on 'S' the TLS handshake, on
 * 'N' the same socket goes on in plain text. pg would close the socket on 'N' and need a second
 * connection, and so a second server process: ~5-10 ms of every command against a server
 * without TLS (measured in bench/RESULTS.md). The socket is handed to pg already connected
 * (its `connect` only reports that it is), with pg's keep-alive, and its time limit counted here.
 * A reply longer than its one byte is refused, as libpq does (CVE-2021-23222: bytes injected
 * before the handshake would be read as if they came from the server after it).
 */
function negotiatePrefer(config: Pg.ClientConfig, tls: TlsOptions): Promise<{ socket: Socket; encrypted: boolean }> {
  const host = config.host!;
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    };
    const closed = () => fail(new Error('Connection terminated unexpectedly'));
    const started = Date.now();
    const limit = config.connectionTimeoutMillis;
    if (limit) timer = setTimeout(() => fail(new Error('timeout expired')), limit);
    const handOver = (s: Socket, encrypted: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // pg's own limit covers what is left of the connection (authentication).
      if (limit) config.connectionTimeoutMillis = Math.max(1, limit - (Date.now() - started));
      for (const x of [socket, s]) {
        x.removeListener('error', fail);
        x.removeListener('close', closed);
      }
      // pg calls connect() and waits for 'connect': the socket already is connected.
      s.connect = (() => {
        process.nextTick(() => s.emit('connect'));
        return s;
      }) as unknown as Socket['connect'];
      resolve({ socket: s, encrypted });
    };
    socket.on('error', fail);
    socket.on('close', closed);
    socket.setNoDelay(true);
    socket.connect(Number(config.port), host, () => socket.write(SSL_REQUEST));
    // The server says nothing more until it gets the startup message, which pg sends.
    socket.once('data', (reply: Buffer) => {
      if (reply[0] !== 0x53 && reply[0] !== 0x4e) return fail(new Error('There was an error establishing an SSL connection'));
      if (reply.length > 1) return fail(new Error('received unencrypted data after SSL response'));
      if (reply[0] === 0x4e) return handOver(socket, false);
      // As pg's upgradeToSSL: the name checked is the host's, never an address (RFC 6066).
      const options: ConnectionOptions = { socket, host, ...tls };
      if (isIP(host) === 0) options.servername = host;
      const secure = tlsConnect(options);
      secure.on('error', fail);
      secure.once('secureConnect', () => handOver(secure, true));
    });
  });
}

/** Not when the server is unreachable or the password wrong: the other attempt would fail alike. */
function worthAnotherTry(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return (
    !['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '28P01'].includes(code ?? '') &&
    !/timeout/i.test((e as Error).message)
  );
}

/** `pg`'s settings for one attempt: every value given, so that `pg` reads no variable itself. */
function clientConfig(info: Readonly<ConnInfo>, tls: TlsOptions | false, options: SessionOptions): Pg.ClientConfig {
  const user = info.user ?? userInfo().username;
  const effective: ConnInfo = { ...info, user, dbname: info.dbname ?? user };
  const timeout = Number(info.connect_timeout ?? 0);
  return {
    host: info.hostaddr ?? info.host,
    port: Number(info.port ?? 5432),
    user,
    database: effective.dbname,
    password:
      info.password ??
      (async () => {
        // Why the password file gave none is said as psql says it (an ignored file above all).
        const found = await lookupPasswordFile(effective);
        if (found.password === undefined) throw new Error(`fe_sendauth: no password supplied (${found.reason})`);
        return found.password;
      }),
    ssl: tls,
    // Given always: pg would read PGSSLNEGOTIATION itself (and refuse direct on a plain attempt).
    sslnegotiation: tls && info.sslnegotiation === 'direct' ? 'direct' : 'postgres',
    options: info.options,
    application_name: options.applicationName ?? info.application_name ?? info.fallback_application_name ?? defaultApplicationName(),
    keepAlive: info.keepalives !== '0',
    keepAliveInitialDelayMillis: info.keepalives_idle ? Number(info.keepalives_idle) * 1000 : undefined,
    // As libpq: 0 or nothing waits for ever, and less than 2 seconds is 2.
    connectionTimeoutMillis: timeout > 0 ? Math.max(timeout, 2) * 1000 : undefined,
  } as Pg.ClientConfig;
}

export async function withSession<T>(target: Target, fn: (s: Session) => Promise<T>, options?: SessionOptions): Promise<T> {
  const session = await connect(target, options);
  try {
    return await fn(session);
  } finally {
    await session.end();
  }
}

/** Whether an error came from the server (as opposed to the network or our code). */
export function isServerError(e: unknown): e is Pg.DatabaseError {
  return e instanceof pg.DatabaseError;
}

type ServerFields = Partial<
  Pick<Pg.DatabaseError, 'severity' | 'code' | 'message' | 'detail' | 'hint' | 'where' | 'schema' | 'table' | 'column' | 'constraint'>
>;

export function toServerMessage(e: ServerFields): ServerMessage {
  return {
    severity: e.severity ?? 'ERROR',
    sqlstate: e.code ?? '',
    message: e.message ?? '',
    detail: e.detail,
    hint: e.hint,
    where: e.where,
    schema: e.schema,
    table: e.table,
    column: e.column,
    constraint: e.constraint,
  };
}

/**
 * Whether an error means the session is gone: the server ended it (FATAL, as for
 * pg_terminate_backend or a shutdown) or the connection broke. Not a fault of the patch.
 */
export function isConnectionLost(e: unknown): boolean {
  if (e instanceof SqlError) return e.server.severity === 'FATAL' || e.server.severity === 'PANIC';
  if (e instanceof PgpatchError) return false;
  if (isServerError(e)) return e.severity === 'FATAL' || e.severity === 'PANIC';
  return /Connection terminated|ECONNRESET|EPIPE|connection error|not queryable/i.test(String((e as Error)?.message));
}
