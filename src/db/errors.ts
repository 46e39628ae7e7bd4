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

/**
 * True when the database refused a write for lack of space: SQLite's SQLITE_FULL (the disk or the
 * volume is full, or max_page_count is reached), PostgreSQL's 53100 disk_full.
 */
export function isStorageFull(error: unknown): boolean {
  const code = codeOf(error)
  return code === 'SQLITE_FULL' || code === '53100'
}

/**
 * True when the database's storage failed under it: full (isStorageFull), or an I/O error:
 * SQLite's SQLITE_IOERR_* (EFBIG past a file-size limit, EIO from a failing volume, a network
 * filesystem gone; a full disk itself shows as SQLITE_IOERR_SHMSIZE when the WAL index cannot
 * grow), PostgreSQL's 58030 io_error. The state of the machine, not of the request nor a fault of
 * the service: the write was not confirmed (SQLite rolled back the statement or the transaction,
 * and the group commit tells every writer of a batch it lost) and may be retried.
 */
export function isStorageFailure(error: unknown): boolean {
  const code = codeOf(error)
  return isStorageFull(error) || (code !== undefined && (code.startsWith('SQLITE_IOERR') || code === '58030'))
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
 * past the lock timeout, or its storage full or failing (isStorageFailure); PostgreSQL unreachable,
 * restarting, out of connections or disk space, past the statement timeout, or a transaction
 * chosen as a serialization or deadlock victim. The request may be retried as is: the service
 * answers 503 with Retry-After.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error)
  if (code !== undefined) {
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return true
    if (isStorageFailure(error)) return true
    if (SOCKET_ERRORS.has(code)) return true
    // 08: connection exception; 53: insufficient resources; 57: operator intervention (shutdown,
    // statement timeout); 40001/40P01: serialization failure, deadlock; 55P03: lock not available.
    if (/^(08|53|57)[0-9A-Z]{3}$/.test(code) || code === '40001' || code === '40P01' || code === '55P03') return true
  }
  return error instanceof Error && POOL_MESSAGES.test(error.message)
}
