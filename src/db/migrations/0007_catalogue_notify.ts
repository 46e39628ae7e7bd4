import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * PostgreSQL: every change to the live catalogue is announced on the `catalogue_changes` channel,
 * by triggers on `products`, in the writing transaction (PostgreSQL delivers on commit, nothing on
 * rollback). Every instance's catalogue cache listens (src/plugins/catalogue-listener.ts), and
 * every writer is heard: the service, psql, a seed, a later migration.
 * - One notification per statement, from its transition tables: `changed:ID` (a live product
 *   updated), `added:ID` (inserted live, or undeleted), `removed:ID` (soft-deleted: `deleted_at`
 *   set; or deleted), joined by commas; `all` for a TRUNCATE or a statement of over 100 rows
 *   (a payload stays far under PostgreSQL's 8,000 bytes). Deleted products are not in the
 *   catalogue: their changes say nothing.
 * - `create or replace`: `npm run db:reset` drops the tables, not the function.
 * SQLite: nothing; its one writer process at a time is seen through data_version.
 */
// Frozen: migrations use Kysely<any>, never the application's types.
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  await sql`
    create or replace function products_catalogue_notify() returns trigger language plpgsql as $$
    declare
      notices text[];
    begin
      if tg_op = 'TRUNCATE' then
        perform pg_notify('catalogue_changes', 'all');
        return null;
      end if;
      if tg_op = 'INSERT' then
        select array_agg('added:' || id) into notices from new_rows where deleted_at is null;
      elsif tg_op = 'DELETE' then
        select array_agg('removed:' || id) into notices from old_rows where deleted_at is null;
      else
        -- Paired by id; a row whose id changed is one removed and one added.
        select array_agg(notice) into notices from (
          select case
            when o.id is not null and o.deleted_at is null and n.id is not null and n.deleted_at is null
              then 'changed:' || o.id
            when o.id is not null and o.deleted_at is null then 'removed:' || o.id
            when n.id is not null and n.deleted_at is null then 'added:' || n.id
          end as notice
          from old_rows o full join new_rows n on o.id = n.id
        ) as changes where notice is not null;
      end if;
      if notices is null then
        return null;
      end if;
      if cardinality(notices) > 100 then
        perform pg_notify('catalogue_changes', 'all');
      else
        perform pg_notify('catalogue_changes', array_to_string(notices, ','));
      end if;
      return null;
    end
    $$`.execute(db)
  await sql`create trigger products_catalogue_insert after insert on products
    referencing new table as new_rows for each statement execute function products_catalogue_notify()`.execute(db)
  await sql`create trigger products_catalogue_update after update on products
    referencing old table as old_rows new table as new_rows
    for each statement execute function products_catalogue_notify()`.execute(db)
  await sql`create trigger products_catalogue_delete after delete on products
    referencing old table as old_rows for each statement execute function products_catalogue_notify()`.execute(db)
  await sql`create trigger products_catalogue_truncate after truncate on products
    for each statement execute function products_catalogue_notify()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return
  for (const trigger of ['insert', 'update', 'delete', 'truncate']) {
    await sql`drop trigger products_catalogue_${sql.raw(trigger)} on products`.execute(db)
  }
  await sql`drop function products_catalogue_notify()`.execute(db)
}
