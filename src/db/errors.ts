/** True when the database rejected a write because of a unique index (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505'
}

/** True when a write broke a CHECK, NOT NULL or foreign-key rule (input the schemas let through). */
export function isConstraintViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) ||
    code === '23514' ||
    code === '23502' ||
    code === '23503'
  )
}

/** True when the database is locked by another writer for longer than the busy timeout. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
}
