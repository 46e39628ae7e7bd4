import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * PostgreSQL: every change to the live catalogue is announced on the `catalogue_changes` channel,
 * by triggers on `products`, in the writing transaction (PostgreSQL delivers on commit, nothing on
 * rollback). Every instance's catalogue cache listens (src/plugins/catalogue-listener.ts), and
 * every writer is heard: the service, psql, a seed, a later migration.
 * - One notification per row changed: `changed:ID` (a live product updated), `added:ID` (inserted
 *   live, or undeleted), `removed:ID` (soft-deleted: `deleted_at` set; or deleted); `all` for a
 *   TRUNCATE. Deleted products are not in the catalogue: their changes say nothing. PostgreSQL
 *   sends a transaction's identical notifications once; a listener that receives many at once
 *   drops its whole cache instead of applying each.
 * - Row triggers, not statement triggers over transition tables: they do not run for an UPDATE
 *   that matched nothing (a refused order), and cost less for the one-row writes that orders make,
 *   inside the product's row lock.
 * - `create or replace`: `npm run db:reset` drops the tables, not the function.
 * SQLite: nothing; its one writer process at a time is seen through data_version.
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`
    create or replace function products_catalogue_notify() returns trigger language plpgsql as $$
    begin
      if tg_op = 'TRUNCATE' then
        perform pg_notify('catalogue_changes', 'all');
      elsif tg_op = 'INSERT' then
        if new.deleted_at is null then
          perform pg_notify('catalogue_changes', 'added:' || new.id);
        end if;
      elsif tg_op = 'DELETE' then
        if old.deleted_at is null then
          perform pg_notify('catalogue_changes', 'removed:' || old.id);
        end if;
      elsif old.id = new.id and old.deleted_at is null and new.deleted_at is null then
        perform pg_notify('catalogue_changes', 'changed:' || new.id);
      else
        -- Deleted, undeleted, or a new id (one removed, one added).
        if old.deleted_at is null then
          perform pg_notify('catalogue_changes', 'removed:' || old.id);
        end if;
        if new.deleted_at is null then
          perform pg_notify('catalogue_changes', 'added:' || new.id);
        end if;
      end if;
      return null;
    end
    $$`.execute(db)
  await sql`create trigger products_catalogue_row after insert or update or delete on products
    for each row execute function products_catalogue_notify()`.execute(db)
  await sql`create trigger products_catalogue_truncate after truncate on products
    for each statement execute function products_catalogue_notify()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`drop trigger products_catalogue_row on products`.execute(db)
  await sql`drop trigger products_catalogue_truncate on products`.execute(db)
  await sql`drop function products_catalogue_notify()`.execute(db)
}
