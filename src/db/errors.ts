/**
 * What a database error means, for SQLite (better-sqlite3's `SQLITE_*` codes) and PostgreSQL
 * (SQLSTATE codes from `pg`, and Node's socket errors when the server cannot be reached).
 */

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** True when the database rejected a write because of a unique index. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505'
}

/**
 * True when a write broke a CHECK, NOT NULL or foreign-key rule, or a value did not fit its column
 * (PostgreSQL's class 22, "data exception"): input that the schemas let through.
 */
export function isConstraintViolation(error: unknown): boolean {
  const code = codeOf(error)
  if (code === undefined) return false
  return code.startsWith('SQLITE_CONSTRAINT') || /^2[23][0-9A-Z]{3}$/.test(code)
}

// Node's errors for a server that cannot be reached or that dropped the connection.
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND', // the database host does not resolve (DNS down, failover under way)
  'EAI_AGAIN',
])
// node-postgres raises these without a code.
const POOL_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/

/**
 * True when the failure is the database's state, not the request: SQLite locked by another writer
 * past the busy timeout; PostgreSQL unreachable, restarting, out of connections, past the statement
 * timeout, or a transaction chosen as a serialization or deadlock victim. The request may be
 * retried as is: the service answers 503 with Retry-After.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error)
  if (code !== undefined) {
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true
    if (SOCKET_ERRORS.has(code)) return true
    // 08: connection exception; 53: insufficient resources; 57: operator intervention (shutdown,
    // statement timeout); 40001/40P01: serialization failure, deadlock; 55P03: lock not available.
    if (/^(08|53|57)[0-9A-Z]{3}$/.test(code) || code === '40001' || code === '40P01' || code === '55P03') return true
  }
  return error instanceof Error && POOL_MESSAGES.test(error.message)
}
