/**
 * `BASE_URL=http://127.0.0.1:8000 npx tsx client/example.ts`: adds a product, orders two units and
 * reads the stock back, with every call typed.
 */
import { createOrdersInventoryClient } from './index.js'

const api = createOrdersInventoryClient(process.env.BASE_URL ?? 'http://127.0.0.1:8000')

const { data: product, error } = await api.POST('/products', {
  body: { sku: `EXAMPLE-${Date.now()}`, name: 'Example mug', price: 12.5, stock: 10 },
})
if (error) throw new Error(`could not create the product: ${JSON.stringify(error)}`)

const { data: order, error: refused } = await api.POST('/orders', { body: { product_id: product.id, quantity: 2 } })
if (refused) throw new Error(`could not place the order: ${JSON.stringify(refused)}`)
const { data: after } = await api.GET('/products/{product_id}', { params: { path: { product_id: product.id } } })
console.log(
  `order ${order?.id}: ${order?.quantity} × ${order?.unit_price} = ${order?.total}; stock now ${after?.stock}`,
)
