/**
 * `BASE_URL=http://127.0.0.1:8000 npx tsx client/example.ts`: adds a product, orders two units, then
 * a cart of two lines with an Idempotency-Key (sent twice: one order), receives stock against a
 * purchase order, and reads the stock and its ledger back, with every call typed.
 */
import { createOrdersInventoryClient } from './index.js'

const api = createOrdersInventoryClient(process.env.BASE_URL ?? 'http://127.0.0.1:8000')

const { data: product, error } = await api.POST('/products', {
  body: { sku: `EXAMPLE-${Date.now()}`, name: 'Example mug', price: 12.5, stock: 10 },
})
if (error) throw new Error(`could not create the product: ${JSON.stringify(error)}`)

const { data: order, error: refused } = await api.POST('/orders', { body: { product_id: product.id, quantity: 2 } })
if (refused) throw new Error(`could not place the order: ${JSON.stringify(refused)}`)
// A retry after a timeout must not order twice: the same Idempotency-Key gets the same order back.
const cart = {
  body: {
    items: [
      { product_id: product.id, quantity: 1 },
      { product_id: product.id, quantity: 3 },
    ],
  },
  params: { header: { 'Idempotency-Key': `example-cart-${Date.now()}` } },
}
const { data: placed } = await api.POST('/orders', cart)
const { data: retried, response } = await api.POST('/orders', cart)
// Stock received against a purchase order: one movement in the product's ledger.
await api.POST('/products/{product_id}/stock-adjustments', {
  params: { path: { product_id: product.id } },
  body: { delta: 6, reason: 'received', reference: 'PO-EXAMPLE' },
})
const { data: movements } = await api.GET('/products/{product_id}/stock-movements', {
  params: { path: { product_id: product.id } },
})
const { data: after } = await api.GET('/products/{product_id}', { params: { path: { product_id: product.id } } })
console.log(
  `order ${order?.id}: ${order?.quantity} × ${order?.unit_price} = ${order?.total}; ` +
    `cart ${placed?.id} of ${placed?.items.length} lines = ${placed?.total}, retried: ${retried?.id} ` +
    `(replayed: ${response.headers.get('idempotent-replayed')}); stock now ${after?.stock}; ` +
    `ledger: ${movements?.map((m) => `${m.reason} ${m.delta > 0 ? '+' : ''}${m.delta}`).join(', ')}`,
)
