/**
 * Where to connect and how, read as libpq reads it, so that pgpatch goes to the database psql
 * would go to with the same string and environment, or refuses. libpq's order (its
 * conninfo_add_defaults): what the connection string says, then the service file's section
 * for the service named (by the string or PGSERVICE), then the PG* variables, then defaults.
 *
 * pg-connection-string (what `pg` uses) was measured for this and left: it reads URIs only
 * (`host=db dbname=app` becomes a URL relative to `postgres://base`), knows no service file,
 * and even with `useLibpqCompat` makes `prefer` demand TLS and has no `allow`.
 *
 * Limits: one host only (libpq's host lists and load balancing are refused); options that
 * `pg` cannot honour are refused by name, never dropped; without a host and without a local
 * socket, pgpatch tries localhost over TCP where psql fails.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ConnectionSettingsError } from './errors';

/** libpq keywords and their values: `{ host: 'db', dbname: 'app' }`. */
export type ConnInfo = Record<string, string>;

/** The keywords pgpatch honours. */
const HONOURED = [
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'service',
  'servicefile',
  'passfile',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslnegotiation',
  'sslsni',
  'application_name',
  'fallback_application_name',
  'options',
  'connect_timeout',
  'keepalives',
  'keepalives_idle',
  'client_encoding',
  'target_session_attrs',
  'gssencmode',
  'channel_binding',
  'load_balance_hosts',
  'sslcompression',
  'krbsrvname',
  'gsslib',
];

/** Known to libpq, not done by `pg`: refused rather than ignored. */
const REFUSED = [
  'sslcrl',
  'sslcrldir',
  'sslcertmode',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'requirepeer',
  'require_auth',
  'replication',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'min_protocol_version',
  'max_protocol_version',
  'sslkeylogfile',
];

/** libpq's environment variables (libpq-envars) and the keyword each one fills. */
const ENV_KEYWORDS: Array<[string, string]> = [
  ['PGHOST', 'host'],
  ['PGHOSTADDR', 'hostaddr'],
  ['PGPORT', 'port'],
  ['PGDATABASE', 'dbname'],
  ['PGUSER', 'user'],
  ['PGPASSWORD', 'password'],
  ['PGSSLMODE', 'sslmode'],
  ['PGSSLROOTCERT', 'sslrootcert'],
  ['PGSSLCERT', 'sslcert'],
  ['PGSSLKEY', 'sslkey'],
  ['PGSSLNEGOTIATION', 'sslnegotiation'],
  ['PGSSLSNI', 'sslsni'],
  ['PGAPPNAME', 'application_name'],
  ['PGOPTIONS', 'options'],
  ['PGCONNECT_TIMEOUT', 'connect_timeout'],
  ['PGCLIENTENCODING', 'client_encoding'],
  ['PGTARGETSESSIONATTRS', 'target_session_attrs'],
  ['PGGSSENCMODE', 'gssencmode'],
  ['PGCHANNELBINDING', 'channel_binding'],
  ['PGLOADBALANCEHOSTS', 'load_balance_hosts'],
  ['PGSSLCRL', 'sslcrl'],
  ['PGSSLCRLDIR', 'sslcrldir'],
  ['PGSSLCERTMODE', 'sslcertmode'],
  ['PGREQUIREPEER', 'requirepeer'],
  ['PGREQUIREAUTH', 'require_auth'],
  ['PGSSLMINPROTOCOLVERSION', 'ssl_min_protocol_version'],
  ['PGSSLMAXPROTOCOLVERSION', 'ssl_max_protocol_version'],
];

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

function checkKeyword(keyword: string, where: string): void {
  if (HONOURED.includes(keyword)) return;
  if (REFUSED.includes(keyword)) {
    throw new ConnectionSettingsError(
      where,
      `connection option "${keyword}" is not supported by pgpatch`,
      'remove it, or use psql for this connection',
    );
  }
  throw new ConnectionSettingsError(where, `invalid connection option "${keyword}"`);
}

/** A URI (`postgresql://...`) or a key/value string (`host=db dbname=app`), as libpq reads both. */
export function parseConnectionString(text: string, where: string): ConnInfo {
  return /^postgres(ql)?:\/\//i.test(text) ? parseUri(text, where) : parseKeyValue(text, where);
}

/** libpq's conninfo_parse: `key = value`, values quoted with '...' and escaped with \. */
export function parseKeyValue(text: string, where: string): ConnInfo {
  const info: ConnInfo = {};
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  while (true) {
    space();
    if (i >= text.length) return info;
    const start = i;
    while (i < text.length && text[i] !== '=' && !/\s/.test(text[i])) i++;
    const keyword = text.slice(start, i);
    space();
    if (text[i] !== '=') {
      throw new ConnectionSettingsError(
        where,
        `missing "=" after "${keyword}" in connection info string`,
        'give a URI (postgresql://user@host:5432/dbname) or key=value pairs (host=db port=5432 dbname=app)',
      );
    }
    i++;
    space();
    let value = '';
    if (text[i] === "'") {
      i++;
      for (; i < text.length && text[i] !== "'"; i++) value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
      if (i >= text.length) throw new ConnectionSettingsError(where, 'unterminated quoted string in connection info string');
      i++;
    } else {
      for (; i < text.length && !/\s/.test(text[i]); i++) value += text[i] === '\\' ? (text[++i] ?? '') : text[i];
    }
    checkKeyword(keyword, where);
    info[keyword] = value;
  }
}

function decode(part: string, where: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ConnectionSettingsError(where, `invalid percent-encoded token: "${part}"`);
  }
}

/** libpq's conninfo_uri_parse: postgresql://[user[:password]@][host][:port][/dbname][?key=value&...]. */
export function parseUri(text: string, where: string): ConnInfo {
  const m = /^postgres(?:ql)?:\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i.exec(text);
  if (!m) throw new ConnectionSettingsError(where, 'invalid URI', 'postgresql://user:password@host:5432/dbname?sslmode=require');
  const [, authority, path, query] = m;
  const info: ConnInfo = {};
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (user) info.user = decode(user, where);
    if (colon >= 0) info.password = decode(userinfo.slice(colon + 1), where);
  }
  const hostport = authority.slice(at + 1);
  if (hostport.includes(',')) {
    throw new ConnectionSettingsError(
      where,
      'several hosts in one connection string are not supported by pgpatch',
      'name the one host to use',
    );
  }
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  const host = hp[1].startsWith('[') ? hp[1].slice(1, -1) : decode(hp[1], where);
  if (host) info.host = host;
  if (hp[2]) info.port = decode(hp[2], where);
  if (path) info.dbname = decode(path, where);
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw new ConnectionSettingsError(where, `missing key/value separator "=" in URI query parameter: "${pair}"`);
    let keyword = decode(pair.slice(0, eq), where);
    let value = decode(pair.slice(eq + 1), where);
    // As libpq: the JDBC-style ssl=true means sslmode=require.
    if (keyword === 'ssl' && value === 'true') [keyword, value] = ['sslmode', 'require'];
    if (!HONOURED.includes(keyword) && !REFUSED.includes(keyword)) {
      throw new ConnectionSettingsError(where, `invalid URI query parameter: "${keyword}"`);
    }
    checkKeyword(keyword, where);
    info[keyword] = value;
  }
  return info;
}

/** The sections of a service file: `[name]` then `key=value` lines; `#` starts a comment line. */
export function parseServiceFile(text: string, file: string): Map<string, ConnInfo> {
  const services = new Map<string, ConnInfo>();
  let current: ConnInfo | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const where = `service file ${file} line ${index + 1}`;
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new ConnectionSettingsError(where, `syntax error: "${line}"`);
      const name = line.slice(1, -1);
      current = services.get(name) ?? {};
      services.set(name, current);
      return;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConnectionSettingsError(where, `syntax error: "${line}" is not key=value`);
    const keyword = line.slice(0, eq).trim();
    if (keyword === 'service') throw new ConnectionSettingsError(where, 'nested service specifications are not supported');
    checkKeyword(keyword, where);
    if (current) current[keyword] = line.slice(eq + 1).trim();
  });
  return services;
}

/** libpq's system folder on Debian and Ubuntu, on Red Hat's packages, and the plain one. */
const SYSTEM_CONF_DIRS = ['/etc/postgresql-common', '/etc/sysconfig/pgsql', '/etc'];

/** The service files in the order libpq reads them: the user's first, then the system's. */
export function serviceFiles(info: ConnInfo, env: NodeJS.ProcessEnv): string[] {
  const user = info.servicefile || env.PGSERVICEFILE || join(homedir(), '.pg_service.conf');
  const system = env.PGSYSCONFDIR
    ? join(env.PGSYSCONFDIR, 'pg_service.conf')
    : SYSTEM_CONF_DIRS.map((d) => join(d, 'pg_service.conf')).find((f) => existsSync(f));
  return system ? [user, system] : [user];
}

/** Where the service's settings came from. */
export interface ServiceSource {
  name: string;
  file: string;
}

export interface ResolvedConnection {
  /** Every keyword that applies, from the string, the service file and the environment. */
  info: ConnInfo;
  service?: ServiceSource;
}

/**
 * The connection libpq would make from this string (URI or key/value; none: the environment
 * alone) and this environment. Throws ConnectionSettingsError before any connection is tried.
 */
export function resolveConnection(
  connectionString: string | undefined,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnection {
  const info = connectionString ? parseConnectionString(connectionString, where) : {};
  let service: ServiceSource | undefined;
  const name = info.service || env.PGSERVICE;
  if (name) {
    service = findService(name, info, env);
    const section = parseServiceFile(readFileSync(service.file, 'utf8'), service.file).get(name)!;
    for (const [k, v] of Object.entries(section)) if (info[k] === undefined) info[k] = v;
  }
  for (const [variable, keyword] of ENV_KEYWORDS) {
    const value = env[variable];
    if (value && info[keyword] === undefined) {
      checkKeyword(keyword, variable);
      info[keyword] = value;
    }
  }
  checkValues(info, where);
  return { info, service };
}

function findService(name: string, info: ConnInfo, env: NodeJS.ProcessEnv): ServiceSource {
  const files = serviceFiles(info, env);
  const named = info.servicefile || env.PGSERVICEFILE;
  // As libpq: a user file named on purpose must be there; the default one may be missing.
  if (named && !isFile(named)) {
    throw new ConnectionSettingsError(info.servicefile ? 'servicefile' : 'PGSERVICEFILE', `service file "${named}" not found`);
  }
  for (const file of files) {
    if (!isFile(file)) continue;
    if (parseServiceFile(readFileSync(file, 'utf8'), file).has(name)) return { name, file };
  }
  throw new ConnectionSettingsError(
    info.service ? 'service' : 'PGSERVICE',
    `definition of service "${name}" not found (looked in ${files.join(', ')})`,
    'define it in ~/.pg_service.conf (or the file PGSERVICEFILE names), or unset PGSERVICE',
  );
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Values `pg` cannot honour as libpq would: refused, so nothing weaker or elsewhere is tried. */
function checkValues(info: ConnInfo, where: string): void {
  const refuse = (keyword: string, why: string, hint?: string) => {
    throw new ConnectionSettingsError(where, `${keyword}=${info[keyword]}: ${why}`, hint);
  };
  if (info.sslmode !== undefined && !(SSL_MODES as readonly string[]).includes(info.sslmode)) {
    refuse('sslmode', `invalid sslmode value (libpq knows ${SSL_MODES.join(', ')})`);
  }
  if (info.host?.includes(',') || info.hostaddr?.includes(',') || info.port?.includes(',')) {
    refuse(
      info.host?.includes(',') ? 'host' : info.hostaddr?.includes(',') ? 'hostaddr' : 'port',
      'several hosts are not supported by pgpatch',
      'name the one host to use',
    );
  }
  if (info.hostaddr && !isIP(info.hostaddr)) refuse('hostaddr', 'not a numeric IP address');
  if (info.port && !/^\d+$/.test(info.port)) refuse('port', 'invalid port number');
  if (info.target_session_attrs && info.target_session_attrs !== 'any')
    refuse('target_session_attrs', 'only "any" is supported by pgpatch');
  if (info.gssencmode === 'require') refuse('gssencmode', 'GSSAPI encryption is not supported by pgpatch');
  if (info.channel_binding === 'require') refuse('channel_binding', 'not supported by pgpatch');
  if (info.client_encoding && !/^(utf-?8|unicode|auto)$/i.test(info.client_encoding))
    refuse('client_encoding', 'pgpatch always talks UTF8');
  if (info.sslnegotiation && !['postgres', 'direct'].includes(info.sslnegotiation)) refuse('sslnegotiation', 'invalid value');
  if (info.sslnegotiation === 'direct' && !['require', 'verify-ca', 'verify-full'].includes(info.sslmode ?? 'prefer')) {
    refuse('sslnegotiation', 'needs sslmode=require or stronger (as libpq)');
  }
  if (info.sslrootcert === 'system' && info.sslmode && info.sslmode !== 'verify-full') {
    refuse('sslmode', 'weak sslmode may not be used with sslrootcert=system (as libpq)', 'use sslmode=verify-full');
  }
}

/** Where libpq looks for a local server's socket: Debian's folder, then the upstream default. */
const SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/**
 * libpq's default host, filled in when neither host nor hostaddr is given: the socket folder
 * where a server listens on this port. With no such socket, psql fails; pgpatch goes to
 * localhost over TCP, as `pg` does.
 */
export function withDefaultHost(resolved: ResolvedConnection): ResolvedConnection {
  if (resolved.info.host || resolved.info.hostaddr) return resolved;
  const socketDir = SOCKET_DIRS.find((d) => existsSync(join(d, `.s.PGSQL.${resolved.info.port ?? '5432'}`)));
  return { ...resolved, info: { ...resolved.info, host: socketDir ?? 'localhost' } };
}

/** What TLS to ask for, as libpq's sslmode means it. */
export interface SslPlan {
  mode: SslMode;
  /** The TLS options of the encrypted attempt (node's tls.connect options), when there is one. */
  tls?: TlsOptions;
  /** The attempts in order: `prefer` tries TLS then plain, `allow` plain then TLS. */
  attempts: Array<'tls' | 'plain'>;
}

export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
  /** verify-ca (and require with a root certificate): the chain is checked, the name is not. */
  checkServerIdentity?: () => undefined;
}

/**
 * libpq's sslmode: `require` encrypts without checking the certificate, unless a root
 * certificate is there (sslrootcert, or ~/.postgresql/root.crt), then it checks it as verify-ca
 * does; `verify-ca` checks the chain; `verify-full` the chain and the host name. A Unix socket
 * never uses TLS (libpq ignores sslmode there). Default: prefer, as libpq.
 */
export function sslPlan(info: ConnInfo, home = homedir()): SslPlan {
  const mode = (info.sslmode ?? 'prefer') as SslMode;
  if (mode === 'disable' || (!info.hostaddr && info.host?.startsWith('/'))) return { mode, attempts: ['plain'] };
  const dir = join(home, '.postgresql');
  const rootFile = info.sslrootcert ?? join(dir, 'root.crt');
  const systemRoots = info.sslrootcert === 'system';
  const hasRoot = systemRoots || isFile(rootFile);
  // libpq (OpenSSL) checks the chain whenever a root certificate is there: documented for
  // require; for prefer and allow a failed check then falls back to a plain connection.
  const verify = mode === 'verify-ca' || mode === 'verify-full' || hasRoot;
  if (verify && !hasRoot) {
    throw new ConnectionSettingsError(
      'sslmode',
      `sslmode=${mode} needs a root certificate, and "${rootFile}" does not exist`,
      'give sslrootcert=FILE (or sslrootcert=system for the usual public authorities), or use sslmode=require to encrypt without verifying',
    );
  }
  const tls: TlsOptions = { rejectUnauthorized: verify };
  if (verify && !systemRoots) tls.ca = readFileSync(rootFile, 'utf8');
  if (verify && mode !== 'verify-full') tls.checkServerIdentity = () => undefined;
  const certFile = info.sslcert ?? join(dir, 'postgresql.crt');
  const keyFile = info.sslkey ?? join(dir, 'postgresql.key');
  if (isFile(certFile)) {
    tls.cert = readFileSync(certFile, 'utf8');
    if (isFile(keyFile)) tls.key = readFileSync(keyFile, 'utf8');
  }
  if (info.sslpassword) tls.passphrase = info.sslpassword;
  // With hostaddr the TCP connection goes to the address, and the name checked is the host's.
  if (info.hostaddr && info.host && !info.host.startsWith('/') && !isIP(info.host) && info.sslsni !== '0') tls.servername = info.host;
  const attempts: SslPlan['attempts'] = mode === 'prefer' ? ['tls', 'plain'] : mode === 'allow' ? ['plain', 'tls'] : ['tls'];
  return { mode, tls, attempts };
}

/** The connection as a URI people can read and paste: the password masked, defaults left out. */
export function describeConnection({ info, service }: ResolvedConnection): string {
  const uri = connectionUri(info, { password: 'masked', params: ['hostaddr', 'sslmode'] });
  return service ? `${uri} (service ${service.name} in ${service.file})` : uri;
}

/** What a URI carries besides user, password, host, port and database, for programs pgpatch starts. */
const CHILD_PARAMS = ['hostaddr', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'options', 'connect_timeout'];

/**
 * The resolved connection as one URI that any PostgreSQL client reads alike (with the
 * password: it is for a child process's environment, never for printing).
 */
export function connectionUriForChild(info: ConnInfo): string {
  return connectionUri(info, { password: 'plain', params: CHILD_PARAMS });
}

function connectionUri(info: ConnInfo, { password, params }: { password: 'masked' | 'plain'; params: string[] }): string {
  const socket = info.host?.startsWith('/');
  const host = info.host && !socket ? (isIP(info.host) === 6 ? `[${info.host}]` : encodeURIComponent(info.host)) : '';
  const secret = info.password === undefined ? '' : `:${password === 'masked' ? '*****' : encodeURIComponent(info.password)}`;
  const user = info.user || secret ? `${encodeURIComponent(info.user ?? '')}${secret}@` : '';
  const query = [
    socket && `host=${encodeURIComponent(info.host!)}`,
    ...params.map((k) => info[k] !== undefined && `${k}=${encodeURIComponent(info[k])}`),
  ].filter(Boolean);
  return `postgresql://${user}${host}${info.port ? `:${info.port}` : ''}/${encodeURIComponent(info.dbname ?? '')}${query.length ? `?${query.join('&')}` : ''}`;
}

/** Masks the password of a URL or a key=value connection string. */
export function maskPassword(dsn: string): string {
  if (/^postgres(ql)?:\/\//i.test(dsn)) {
    return dsn.replace(/^(postgres(?:ql)?:\/\/[^:@/?#]*):[^@/?#]*@/i, '$1:*****@').replace(/([?&]password=)[^&#]*/gi, '$1*****');
  }
  return dsn.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, '$1*****');
}

/** What the password file gave: the password, or why it gave none (said when the server asks for one). */
export interface PasswordLookup {
  password?: string;
  /** The file looked in. */
  file: string;
  /** Why there is no password: the file is missing, ignored (psql's words), or has no matching line. */
  reason?: string;
}

/**
 * The password from the password file (passfile, PGPASSFILE or ~/.pgpass), read as libpq reads
 * it (fe-connect.c passwordFromFile): lines `host:port:database:user:password`, `*` for any
 * value, `\\` escaping `:` and `\\`, `#` starting a comment line, the first matching line
 * wins. On Unix a file that is not a plain file, or that group or others may read, is ignored,
 * and the reason is kept for the error, as psql prints it. The host name is looked up as libpq
 * does when hostaddr is given too (`pg` would look up the address).
 */
export async function lookupPasswordFile(info: ConnInfo, env: NodeJS.ProcessEnv = process.env): Promise<PasswordLookup> {
  const windows = process.platform === 'win32';
  const file =
    info.passfile ||
    env.PGPASSFILE ||
    (windows ? join(env.APPDATA ?? homedir(), 'postgresql', 'pgpass.conf') : join(env.HOME || homedir(), '.pgpass'));
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) return { file, reason: `password file "${file}" is not a plain file` };
    if (!windows && (st.mode & 0o077) !== 0)
      return { file, reason: `password file "${file}" has group or world access; permissions should be u=rw (0600) or less` };
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return {
      file,
      reason: code === 'ENOENT' ? `no password given, and no password file ${file}` : `password file "${file}": ${(e as Error).message}`,
    };
  }
  const host = !info.host || info.host.startsWith('/') ? (info.hostaddr ?? 'localhost') : info.host;
  const wanted = [host, info.port || '5432', info.dbname ?? info.user ?? '', info.user ?? ''];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[\r\n]+$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let at = 0;
    for (const token of wanted) {
      at = matchField(line, at, token);
      if (at < 0) break;
    }
    if (at >= 0) return { file, password: unescapeField(line, at) };
  }
  return { file, reason: `no password given, and no line of the password file ${file} matches ${wanted.join(':')}` };
}

/** libpq's pwdfMatchesString: where the field at `at` ends (after its `:`) when it is `*` or `token`, else -1. */
function matchField(line: string, at: number, token: string): number {
  if (line.startsWith('*:', at)) return at + 2;
  let i = at;
  let j = 0;
  let escaped = false;
  while (i < line.length) {
    if (line[i] === '\\' && !escaped) {
      i++;
      escaped = true;
    }
    if (line[i] === ':' && j === token.length && !escaped) return i + 1;
    escaped = false;
    if (j === token.length || line[i] !== token[j]) return -1;
    i++;
    j++;
  }
  return -1;
}

/** The password field: up to the next unescaped `:`, backslashes removed as libpq does. */
function unescapeField(line: string, at: number): string {
  let out = '';
  for (let i = at; i < line.length && line[i] !== ':'; i++) {
    if (line[i] === '\\' && i + 1 < line.length) i++;
    out += line[i];
  }
  return out;
}

/** The password from the password file, or undefined (lookupPasswordFile says why). */
export async function passwordFromFile(info: ConnInfo, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return (await lookupPasswordFile(info, env)).password;
}
