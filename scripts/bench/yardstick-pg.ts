/**
 * The yardstick for `npm run bench` on PostgreSQL: the benchmark's routes as a minimal hand-written
 * service would answer them, straight through `pg` (no query builder, no logging, no plugins),
 * with response schemas for fast serialisation. It runs on a database of its own, migrated with
 * the service's migrations, so the tables, indexes and constraints are the service's.
 *
 * Its SQL, per route:
 *   GET  /products/:id         one select by id of a live product
 *   GET  /products             the page (limit, offset), and a count for X-Total-Count
 *   POST /products             one insert
 *   POST /orders               BEGIN; per product, by ascending id, one conditional
 *                              `UPDATE ... SET stock = stock - q WHERE stock >= q` returning its
 *                              price; INSERT the order, then its lines; COMMIT (404 for a missing
 *                              product, 409 for too little stock: a select says which, then ROLLBACK)
 *   GET  /orders/:id           the order with its lines aggregated, one select
 *   GET  /orders               a page of those (limit, offset, product_id), and a count
 * What the service does besides (a ledger movement and an outbox event per change, idempotency,
 * ETags, validation errors in the contract's shape) is not done here: the ratio to the yardstick
 * includes its cost.
 *
 *   DATABASE_URL=postgres://... PORT=8002 tsx scripts/bench/yardstick-pg.ts
 */
import Fastify from 'fastify'
import pg from 'pg'

const INT8 = 20
const TIMESTAMPTZ = 1184
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ)
// Ids and bigint columns as numbers, timestamps as ISO strings: as the service answers them.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8) return (value: string) => Number(value)
    if (oid === TIMESTAMPTZ) return (value: string) => (parseTimestamptz(value) as Date).toISOString()
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE ?? 10),
  types,
})

interface ProductRow {
  id: number
  sku: string
  name: string
  price_cents: number
  stock: number
  low_stock_threshold: number | null
  created_at: string
  updated_at: string
}
interface LineRow {
  product_id: number
  quantity: number
  unit_price_cents: number
}
interface OrderRow {
  id: number
  product_id: number | null
  quantity: number
  status: string
  unit_price_cents: number | null
  total_cents: number
  expires_at: string | null
  cancel_reason: string | null
  created_at: string
  updated_at: string
  items: LineRow[]
}

const toProduct = (row: ProductRow) => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  price: row.price_cents / 100,
  stock: row.stock,
  low_stock_threshold: row.low_stock_threshold,
  created_at: row.created_at,
  updated_at: row.updated_at,
})
const toOrder = (row: OrderRow) => ({
  id: row.id,
  product_id: row.product_id,
  quantity: row.quantity,
  status: row.status,
  unit_price: row.unit_price_cents === null ? null : row.unit_price_cents / 100,
  total: row.total_cents / 100,
  expires_at: row.expires_at,
  cancel_reason: row.cancel_reason,
  items: row.items.map((line) => ({
    product_id: line.product_id,
    quantity: line.quantity,
    unit_price: line.unit_price_cents / 100,
    total: (line.unit_price_cents * line.quantity) / 100,
  })),
  created_at: row.created_at,
  updated_at: row.updated_at,
})

const nullable = (type: string) => ({ type: [type, 'null'] })
const productSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    sku: { type: 'string' },
    name: { type: 'string' },
    price: { type: 'number' },
    stock: { type: 'integer' },
    low_stock_threshold: nullable('integer'),
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
}
const orderSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    product_id: nullable('integer'),
    quantity: { type: 'integer' },
    status: { type: 'string' },
    unit_price: nullable('number'),
    total: { type: 'number' },
    expires_at: nullable('string'),
    cancel_reason: nullable('string'),
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          product_id: { type: 'integer' },
          quantity: { type: 'integer' },
          unit_price: { type: 'number' },
          total: { type: 'number' },
        },
      },
    },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
}
const errorSchema = { type: 'object', properties: { detail: { type: 'string' } } }
const id = { type: 'integer', minimum: 1 }
const quantity = { type: 'integer', minimum: 1, maximum: 1_000_000 }
const pageQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    offset: { type: 'integer', minimum: 0, default: 0 },
    product_id: id,
  },
}

// The order with its lines, in one round trip.
const ORDER_COLUMNS = `o.*, (select json_agg(json_build_object('product_id', l.product_id, 'quantity', l.quantity,
  'unit_price_cents', l.unit_price_cents) order by l.line_no) from order_lines l where l.order_id = o.id) as items`

const app = Fastify({ logger: false })

app.get('/health', async () => ({ status: 'healthy' }))

app.get<{ Params: { id: number } }>(
  '/products/:id',
  { schema: { params: { type: 'object', properties: { id } }, response: { 200: productSchema, 404: errorSchema } } },
  async (request, reply) => {
    const { rows } = await pool.query<ProductRow>('select * from products where id = $1 and deleted_at is null', [
      request.params.id,
    ])
    return rows[0] ? toProduct(rows[0]) : reply.code(404).send({ detail: 'Product not found' })
  },
)

app.get<{ Querystring: { limit: number; offset: number } }>(
  '/products',
  { schema: { querystring: pageQuery, response: { 200: { type: 'array', items: productSchema } } } },
  async (request, reply) => {
    const { limit, offset } = request.query
    const [page, count] = await Promise.all([
      pool.query<ProductRow>('select * from products where deleted_at is null order by id limit $1 offset $2', [
        limit,
        offset,
      ]),
      pool.query<{ n: number }>('select count(*) as n from products where deleted_at is null'),
    ])
    void reply.header('X-Total-Count', count.rows[0]!.n)
    return page.rows.map(toProduct)
  },
)

app.post<{ Body: { sku: string; name: string; price: number; stock?: number } }>(
  '/products',
  {
    schema: {
      body: {
        type: 'object',
        required: ['sku', 'name', 'price'],
        properties: {
          sku: { type: 'string', minLength: 1, maxLength: 64 },
          name: { type: 'string', minLength: 1, maxLength: 200 },
          price: { type: 'number', exclusiveMinimum: 0 },
          stock: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      response: { 201: productSchema, 409: errorSchema },
    },
  },
  async (request, reply) => {
    const { sku, name, price, stock } = request.body
    const now = new Date().toISOString()
    try {
      const { rows } = await pool.query<ProductRow>(
        'insert into products (sku, name, price_cents, stock, created_at, updated_at) values ($1, $2, $3, $4, $5, $5) returning *',
        [sku, name, Math.round(price * 100), stock ?? 0, now],
      )
      return reply.code(201).send(toProduct(rows[0]!))
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return reply.code(409).send({ detail: 'SKU already exists' })
      throw error
    }
  },
)

type Line = { product_id: number; quantity: number }
/** Refused before anything is written: 404 or 409, after a rollback. */
class Refusal {
  constructor(
    readonly status: 404 | 409,
    readonly detail: string,
  ) {}
}

app.post<{ Body: { product_id?: number; quantity?: number; items?: Line[] } }>(
  '/orders',
  {
    schema: {
      body: {
        type: 'object',
        properties: {
          product_id: id,
          quantity,
          items: {
            type: 'array',
            minItems: 1,
            maxItems: 100,
            items: { type: 'object', required: ['product_id', 'quantity'], properties: { product_id: id, quantity } },
          },
        },
      },
      response: { 201: orderSchema, 400: errorSchema, 404: errorSchema, 409: errorSchema },
    },
  },
  async (request, reply) => {
    const { product_id, quantity: units, items } = request.body
    const lines: Line[] =
      items ?? (product_id !== undefined && units !== undefined ? [{ product_id, quantity: units }] : [])
    if (lines.length === 0) return reply.code(400).send({ detail: 'Send product_id and quantity, or items' })
    const demand = new Map<number, number>()
    for (const line of lines) demand.set(line.product_id, (demand.get(line.product_id) ?? 0) + line.quantity)
    const now = new Date().toISOString()
    const client = await pool.connect()
    try {
      await client.query('begin')
      const prices = new Map<number, number>()
      // Ascending product ids: concurrent orders lock their products in the same order.
      for (const [productId, wanted] of [...demand].sort(([a], [b]) => a - b)) {
        const taken = await client.query<{ price_cents: number }>(
          'update products set stock = stock - $2, updated_at = $3 where id = $1 and stock >= $2 and deleted_at is null returning price_cents',
          [productId, wanted, now],
        )
        if (taken.rows[0]) {
          prices.set(productId, taken.rows[0].price_cents)
          continue
        }
        const left = await client.query<{ stock: number }>(
          'select stock from products where id = $1 and deleted_at is null',
          [productId],
        )
        throw left.rows[0]
          ? new Refusal(409, `Insufficient stock. Available: ${left.rows[0].stock}, Requested: ${wanted}`)
          : new Refusal(404, 'Product not found')
      }
      const priced = lines.map((line) => ({ ...line, unit_price_cents: prices.get(line.product_id)! }))
      const one = priced.length === 1 ? priced[0]! : undefined
      const total = priced.reduce((sum, line) => sum + line.unit_price_cents * line.quantity, 0)
      const allUnits = priced.reduce((sum, line) => sum + line.quantity, 0)
      const order = await client.query<{ id: number }>(
        "insert into orders (product_id, quantity, status, unit_price_cents, total_cents, created_at, updated_at) values ($1, $2, 'PENDING', $3, $4, $5, $5) returning id",
        [one?.product_id ?? null, allUnits, one?.unit_price_cents ?? null, total, now],
      )
      const orderId = order.rows[0]!.id
      const values = priced.map((_, i) => `($1, ${i + 1}, $${3 * i + 2}, $${3 * i + 3}, $${3 * i + 4})`).join(', ')
      await client.query(
        `insert into order_lines (order_id, line_no, product_id, quantity, unit_price_cents) values ${values}`,
        [orderId, ...priced.flatMap((line) => [line.product_id, line.quantity, line.unit_price_cents])],
      )
      await client.query('commit')
      return reply.code(201).send(
        toOrder({
          id: orderId,
          product_id: one?.product_id ?? null,
          quantity: allUnits,
          status: 'PENDING',
          unit_price_cents: one?.unit_price_cents ?? null,
          total_cents: total,
          expires_at: null,
          cancel_reason: null,
          created_at: now,
          updated_at: now,
          items: priced,
        }),
      )
    } catch (error) {
      await client.query('rollback')
      if (error instanceof Refusal) return reply.code(error.status).send({ detail: error.detail })
      throw error
    } finally {
      client.release()
    }
  },
)

app.get<{ Params: { id: number } }>(
  '/orders/:id',
  { schema: { params: { type: 'object', properties: { id } }, response: { 200: orderSchema, 404: errorSchema } } },
  async (request, reply) => {
    const { rows } = await pool.query<OrderRow>(`select ${ORDER_COLUMNS} from orders o where o.id = $1`, [
      request.params.id,
    ])
    return rows[0] ? toOrder(rows[0]) : reply.code(404).send({ detail: 'Order not found' })
  },
)

app.get<{ Querystring: { limit: number; offset: number; product_id?: number } }>(
  '/orders',
  { schema: { querystring: pageQuery, response: { 200: { type: 'array', items: orderSchema } } } },
  async (request, reply) => {
    const { limit, offset, product_id } = request.query
    // Orders with any line of the product.
    const where =
      product_id === undefined
        ? ''
        : 'where exists (select 1 from order_lines f where f.order_id = o.id and f.product_id = $1)'
    const filter = product_id === undefined ? [] : [product_id]
    const n = filter.length
    const [page, count] = await Promise.all([
      pool.query<OrderRow>(
        `select ${ORDER_COLUMNS} from orders o ${where} order by o.id limit $${n + 1} offset $${n + 2}`,
        [...filter, limit, offset],
      ),
      pool.query<{ n: number }>(`select count(*) as n from orders o ${where}`, filter),
    ])
    void reply.header('X-Total-Count', count.rows[0]!.n)
    return page.rows.map(toOrder)
  },
)

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8002) })
