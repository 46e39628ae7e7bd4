/**
 * The ceiling for `npm run bench`: a bare Fastify server answering the benchmark's routes with
 * fixed bodies, through the same kind of response schemas, with no database, validation of
 * substance, logging or security plugins. What a Node HTTP service can do on this machine.
 */
import Fastify from 'fastify'

const product = {
  id: 1,
  sku: 'CEILING-1',
  name: 'Ceiling product',
  price: 9.99,
  stock: 1000,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
}
const order = {
  id: 1,
  product_id: 1,
  quantity: 1,
  status: 'PENDING',
  unit_price: 9.99,
  total: 9.99,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
}
const productSchema = {
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(product).map(([k, v]) => [k, { type: typeof v === 'number' ? 'number' : 'string' }]),
  ),
}
const orderSchema = {
  type: 'object',
  properties: Object.fromEntries(
    Object.entries(order).map(([k, v]) => [k, { type: typeof v === 'number' ? 'number' : 'string' }]),
  ),
}
const page = Array.from({ length: 100 }, (_, i) => ({ ...product, id: i + 1 }))

const app = Fastify({ logger: false })
app.get('/health', async () => ({ status: 'healthy' }))
app.get('/products/:id', { schema: { response: { 200: productSchema } } }, async () => product)
app.get('/products', { schema: { response: { 200: { type: 'array', items: productSchema } } } }, async () => page)
app.post('/products', { schema: { response: { 201: productSchema } } }, async (_request, reply) =>
  reply.code(201).send(product),
)
app.post('/orders', { schema: { response: { 201: orderSchema } } }, async (_request, reply) =>
  reply.code(201).send(order),
)
app.get('/orders/:id', { schema: { response: { 200: orderSchema } } }, async () => order)
app.get('/orders', { schema: { response: { 200: { type: 'array', items: orderSchema } } } }, async () => [order])

await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 8001) })
