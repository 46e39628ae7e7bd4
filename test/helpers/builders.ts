import { randomUUID } from 'node:crypto'
import type { TestApp } from './app.js'

let sequence = 0

export interface ProductInput {
  sku: string
  name: string
  price: number
  stock: number
}

/** A valid product payload with a unique SKU; override any field. */
export function buildProduct(overrides: Partial<ProductInput> = {}): ProductInput {
  sequence += 1
  return {
    sku: `SKU-${sequence}-${randomUUID().slice(0, 8)}`,
    name: `Product ${sequence}`,
    price: 19.99,
    stock: 10,
    ...overrides,
  }
}

export async function createProduct(api: TestApp, overrides: Partial<ProductInput> = {}) {
  const response = await api.request('POST', '/products', buildProduct(overrides))
  if (response.status !== 201) throw new Error(`createProduct: ${response.status} ${response.text}`)
  return response.body as ProductInput & { id: number; created_at: string; updated_at: string }
}

export async function createOrder(api: TestApp, productId: number, quantity = 1) {
  const response = await api.request('POST', '/orders', { product_id: productId, quantity })
  if (response.status !== 201) throw new Error(`createOrder: ${response.status} ${response.text}`)
  return response.body as { id: number; product_id: number; quantity: number; status: string; total: number }
}

export async function setOrderStatus(api: TestApp, orderId: number, status: string) {
  const response = await api.request('PUT', `/orders/${orderId}`, { status })
  if (response.status !== 200) throw new Error(`setOrderStatus: ${response.status} ${response.text}`)
  return response.body
}

export async function stockOf(api: TestApp, productId: number): Promise<number> {
  const response = await api.request('GET', `/products/${productId}`)
  return response.body.stock as number
}
