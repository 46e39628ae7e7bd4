import type { ComponentChildren } from 'preact'
import { get, getPage, ORDER_STATUSES, withQuery, type Delivery, type OrderStatus, type Product } from './api'
import { localMidnight, money, plural } from './format'
import { BASE, ErrorState, Link, Loading, PageTitle, useLoad, type Loaded } from './ui'

interface Summary {
  by_status: Record<OrderStatus, number>
  paid_revenue: number
  orders: number
}

/** Today's orders by status and the revenue of those paid or shipped. */
const todaysSummary = async () =>
  (await get<Summary>(withQuery('/orders/summary', { created_from: localMidnight(0), created_to: localMidnight(1) })))
    .body

export const isLow = (product: Product) =>
  product.low_stock_threshold !== null && product.stock < product.low_stock_threshold

/** The first products whose stock is below their threshold, and how many there are. */
async function lowStock(): Promise<{ items: Product[]; total: number }> {
  const page = await getPage<Product>('/products?below_threshold=true&limit=5')
  return { items: page.items, total: page.total ?? page.items.length }
}

/** Failed webhook deliveries of every endpoint: they used up every retry. */
export async function failedDeliveries(): Promise<{ items: Delivery[]; total: number }> {
  const page = await getPage<Delivery>('/webhook-deliveries?status=failed&limit=100')
  return { items: page.items, total: page.total ?? page.items.length }
}

function Card<T>({
  title,
  loaded,
  children,
}: {
  title: string
  loaded: Loaded<T>
  children: (data: T) => ComponentChildren
}) {
  const id = `card-${title.toLowerCase().replace(/[^a-z]+/g, '-')}`
  return (
    <section class="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {loaded.error ? (
        <ErrorState error={loaded.error} retry={loaded.reload} />
      ) : loaded.data === undefined ? (
        <Loading />
      ) : (
        children(loaded.data)
      )}
    </section>
  )
}

export function Overview() {
  const summary = useLoad(todaysSummary, [])
  const low = useLoad(lowStock, [])
  const failed = useLoad(failedDeliveries, [])
  const localToday = new Date(Date.now() - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 10)
  return (
    <>
      <PageTitle>Overview</PageTitle>
      <div class="cards">
        <Card title="Orders today" loaded={summary}>
          {(data) => (
            <>
              <p class="big" data-testid="orders-today">
                {data.orders}
              </p>
              <ul class="by-status">
                {ORDER_STATUSES.map((status) => (
                  <li key={status}>
                    <Link href={withQuery(`${BASE}/orders`, { status, from: localToday, to: localToday })}>
                      <span class={`badge ${status.toLowerCase()}`}>{status}</span> {data.by_status[status] ?? 0}
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          )}
        </Card>
        <Card title="Revenue of paid orders today" loaded={summary}>
          {(data) => (
            <p class="big" data-testid="revenue-today">
              {money(data.paid_revenue)}
            </p>
          )}
        </Card>
        <Card title="Below their low-stock threshold" loaded={low}>
          {(data) => (
            <>
              <p class="big">{data.total}</p>
              {data.items.length === 0 ? (
                <p class="muted">Every product with a threshold has enough stock.</p>
              ) : (
                <ul class="plain">
                  {data.items.map((product) => (
                    <li key={product.id}>
                      <Link href={`${BASE}/products/${product.id}`}>{product.name}</Link> ({product.sku}):{' '}
                      {product.stock} left, threshold {product.low_stock_threshold}
                    </li>
                  ))}
                </ul>
              )}
              {data.total > 0 && (
                <Link href={`${BASE}/products?below_threshold=true`}>
                  See all {plural(data.total, 'product')} below threshold
                </Link>
              )}
            </>
          )}
        </Card>
        <Card title="Failed webhook deliveries" loaded={failed}>
          {(data) => (
            <>
              <p class="big" data-testid="failed-deliveries">
                {data.total}
              </p>
              {data.total === 0 ? (
                <p class="muted">No delivery has used up its retries.</p>
              ) : (
                <Link href={`${BASE}/webhooks#failed`}>See the failed deliveries and redeliver them</Link>
              )}
            </>
          )}
        </Card>
      </div>
    </>
  )
}
