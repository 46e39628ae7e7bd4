import { onServer } from './database.js'

const STALE_AFTER_MS = 60 * 60 * 1000

/**
 * Test files drop their databases when they finish; a run that was killed cannot. Databases left
 * by runs that started over an hour ago are dropped here, so a run in progress is never touched.
 */
export default async function dropStaleTestDatabases(): Promise<void> {
  await onServer(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like 'oi\\_test\\_%'",
    )
    for (const { datname } of rows) {
      const createdAt = Number(datname.split('_')[2])
      if (Number.isFinite(createdAt) && Date.now() - createdAt > STALE_AFTER_MS) {
        await client.query(`drop database if exists ${datname} with (force)`)
      }
    }
  })
}
