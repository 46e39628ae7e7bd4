import { redactUrl, type Config } from './config.js'
import { dialectOf, sqlitePathFromUrl } from './db/connect.js'

interface CodedError {
  code?: unknown
  message?: unknown
  cause?: unknown
  hostname?: unknown
  address?: unknown
  port?: unknown
  syscall?: unknown
}

/** The error and the errors it was caused by, outermost first. */
function chain(error: unknown): CodedError[] {
  const found: CodedError[] = []
  for (let current = error; current && typeof current === 'object' && found.length < 10;) {
    found.push(current as CodedError)
    current = (current as CodedError).cause
  }
  return found
}

const codeOf = (error: CodedError) => (typeof error.code === 'string' ? error.code : undefined)

/**
 * One sentence naming the setting at fault and what to do, for the mistakes people make when
 * starting the service (a port in use, a database that is not there, a wrong role or password);
 * undefined for anything else, which is then shown whole.
 */
export function explainStartupError(error: unknown, config: Config): string | undefined {
  const errors = chain(error)
  const coded = errors.find((e) => codeOf(e) !== undefined)
  const code = coded && codeOf(coded)
  if (code === undefined) return explainPoolMessage(errors, config)
  const listening =
    errors.some((e) => e.syscall === 'listen' || e.syscall === 'getaddrinfo') && !isDatabaseError(errors)
  if (listening) return explainListen(code, config)
  return explainDatabase(code, String(coded?.message ?? ''), config)
}

function isDatabaseError(errors: CodedError[]): boolean {
  return errors.some((e) => e instanceof Error && e.name === 'MigrationError')
}

function explainListen(code: string, { host, port }: Config): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `PORT=${port}: the port is already in use on ${host} (another server, or this service already running): stop it or choose another PORT.`
    case 'EACCES':
      return `PORT=${port}: this user may not listen on that port (ports below 1024 need privileges): choose a PORT above 1024.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EADDRNOTAVAIL':
      return `HOST=${host}: cannot listen on this address (${code}): use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or an address this machine has.`
    default:
      return undefined
  }
}

function explainDatabase(code: string, message: string, config: Config): string | undefined {
  const url = config.database.url
  const setting = `DATABASE_URL=${redactUrl(url)}`
  if (dialectOf(url) === 'sqlite') {
    const path = sqlitePathFromUrl(url)
    if (
      code.startsWith('SQLITE_CANTOPEN') ||
      ['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EEXIST', 'EROFS'].includes(code)
    ) {
      return `${setting}: cannot open or create the SQLite file ${path} (${code}): make sure its folder can be created and written by this user, or choose another path.`
    }
    if (code === 'SQLITE_NOTADB')
      return `${setting}: ${path} is not a SQLite database: point DATABASE_URL at another file.`
    return undefined
  }
  const where = hostOf(url)
  switch (code) {
    case 'ECONNREFUSED':
      return `${setting}: nothing answers at ${where} (connection refused): start PostgreSQL there or correct the host and port in DATABASE_URL.`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${setting}: the host of DATABASE_URL does not resolve (${code}): correct the host name.`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${setting}: ${where} cannot be reached (${code}): check the host, the port and the network.`
    case '3D000':
      return `${setting}: ${message} on ${where}: create it (createdb ${databaseOf(url)}) or correct the database name in DATABASE_URL.`
    case '28P01':
    case '28000':
      return `${setting}: PostgreSQL refused the login (${message}): correct the user and password in DATABASE_URL, or create the role.`
    case '42501':
      return `${setting}: the role may not create the service's tables (${message}): make it the owner of the database, or GRANT CREATE ON SCHEMA public to it.`
    default:
      return undefined
  }
}

/** node-postgres reports a connection timeout without a code. */
function explainPoolMessage(errors: CodedError[], config: Config): string | undefined {
  const timedOut = errors.some((e) =>
    /timeout exceeded when trying to connect|Connection terminated/.test(String(e.message)),
  )
  if (!timedOut || dialectOf(config.database.url) !== 'postgres') return undefined
  return `DATABASE_URL=${redactUrl(config.database.url)}: ${hostOf(config.database.url)} did not answer within DATABASE_CONNECT_TIMEOUT_MS (${config.database.connectTimeoutMs} ms): check that PostgreSQL runs there and the network lets you through.`
}

function hostOf(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}`
  } catch {
    return 'the database server'
  }
}

function databaseOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || 'orders'
  } catch {
    return 'orders'
  }
}
