import { useEffect, useState } from 'preact/hooks'
import { call, get, getPage, ORDER_STATUSES, withQuery, type Order, type OrderStatus } from './api'
import { dayStart, money, plural, when } from './format'
import { productName } from './products'
import {
  BASE,
  Empty,
  Link,
  PageTitle,
  Pager,
  Show,
  announce,
  asApiError,
  confirmAction,
  navigate,
  useLoad,
  usePaging,
  usePermissions,
} from './ui'

const PAGE_SIZE = 25

export function Orders({ query }: { query: URLSearchParams }) {
  const status = query.get('status') ?? ''
  const from = query.get('from') ?? ''
  const to = query.get('to') ?? ''
  const productId = query.get('product_id') ?? ''
  const range = { created_from: dayStart(from), created_to: dayStart(to, true) }
  const paging = usePaging(
    withQuery('/orders', { status, product_id: productId, ...range, after_id: 0, limit: PAGE_SIZE }),
  )
  const list = useLoad(() => getPage<Order>(paging.page), [paging.page])
  const [filters, setFilters] = useState({ status, from, to })
  const filtering = Boolean(status || from || to || productId)
  return (
    <>
      <PageTitle>Orders</PageTitle>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery(`${BASE}/orders`, { ...filters, product_id: productId }))
        }}
      >
        <div class="field">
          <label for="order-status">Status</label>
          <select
            id="order-status"
            value={filters.status}
            onChange={(e) => setFilters({ ...filters, status: e.currentTarget.value })}
          >
            <option value="">Any</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="order-from">Placed from</label>
          <input
            id="order-from"
            type="date"
            value={filters.from}
            onInput={(e) => setFilters({ ...filters, from: e.currentTarget.value })}
          />
        </div>
        <div class="field">
          <label for="order-to">to</label>
          <input
            id="order-to"
            type="date"
            value={filters.to}
            onInput={(e) => setFilters({ ...filters, to: e.currentTarget.value })}
          />
        </div>
        <button type="submit">Filter</button>
        {filtering && (
          <Link href={`${BASE}/orders`} class="button">
            Clear
          </Link>
        )}
      </form>
      {productId && <p class="muted">Only orders with a line of product #{productId}.</p>}
      <Show loaded={list}>
        {(page) => {
          const items = page.items
          if (items.length === 0)
            return filtering ? (
              <Empty>No orders match these filters.</Empty>
            ) : (
              <Empty>
                No orders yet: place one through the API — <code>POST /orders</code>.
              </Empty>
            )
          return (
            <>
              {page.total !== undefined && <p class="muted">{plural(page.total, 'order')}.</p>}
              <ul class="orders">
                {items.map((order) => (
                  <li key={order.id}>
                    <OrderCard order={order} />
                  </li>
                ))}
              </ul>
            </>
          )
        }}
      </Show>
      <Pager next={list.data?.next} paging={paging} />
    </>
  )
}

export function OrderDetail({ id }: { id: number }) {
  const loaded = useLoad(async () => (await get<Order>(`/orders/${id}`)).body, [id])
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/orders`}>Orders</Link> ›
      </p>
      <PageTitle>Order #{id}</PageTitle>
      <Show loaded={loaded}>{(order) => <OrderCard order={order} />}</Show>
    </>
  )
}

/** What staff may do next with an order in each status. */
const NEXT: Record<OrderStatus, { status: OrderStatus; label: string; done: string }[]> = {
  PENDING: [
    { status: 'PAID', label: 'Mark as paid', done: 'marked as paid' },
    { status: 'CANCELED', label: 'Cancel…', done: 'canceled: its units are back in stock' },
  ],
  PAID: [
    { status: 'SHIPPED', label: 'Ship', done: 'shipped' },
    { status: 'CANCELED', label: 'Cancel…', done: 'canceled: its units are back in stock' },
  ],
  SHIPPED: [],
  CANCELED: [],
}

function OrderCard({ order: initial }: { order: Order }) {
  const { orders: mayChange } = usePermissions()
  const [order, setOrder] = useState(initial)
  const [busy, setBusy] = useState(false)
  useEffect(() => setOrder(initial), [initial])
  const change = async (next: (typeof NEXT)[OrderStatus][number]) => {
    if (next.status === 'CANCELED') {
      const units = plural(order.quantity, 'unit')
      const yes = await confirmAction(
        `Cancel order #${order.id}?`,
        `Its ${units} go back to stock. A canceled order cannot be reopened.`,
        'Cancel order',
      )
      if (!yes) return
    }
    setBusy(true)
    try {
      const updated = (await call<Order>('PUT', `/orders/${order.id}`, { status: next.status })).body
      setOrder(updated)
      announce(`Order #${order.id} ${next.done}.`)
    } catch (error) {
      announce(`Order #${order.id} was not changed: ${asApiError(error).message}`, 'failed')
    } finally {
      setBusy(false)
    }
  }
  return (
    <article class="order" aria-labelledby={`order-${order.id}`} data-order={order.id}>
      <header>
        <h2 id={`order-${order.id}`}>
          <Link href={`${BASE}/orders/${order.id}`}>Order #{order.id}</Link>
        </h2>
        <span class={`badge ${order.status.toLowerCase()}`} data-testid="status">
          {order.status}
        </span>
        <span class="muted">placed {when(order.created_at)}</span>
      </header>
      <div class="table-wrap">
        <table class="lines">
          <caption class="visually-hidden">Lines of order #{order.id}</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col" class="num">
                Qty
              </th>
              <th scope="col" class="num">
                Unit price
              </th>
              <th scope="col" class="num">
                Total
              </th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((line, index) => (
              <tr key={index}>
                <td>
                  <Link href={`${BASE}/products/${line.product_id}`}>
                    <ProductName id={line.product_id} />
                  </Link>
                </td>
                <td class="num">{line.quantity}</td>
                <td class="num">{money(line.unit_price)}</td>
                <td class="num">{money(line.total)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={3}>
                Order total
              </th>
              <td class="num" data-testid="total">
                {money(order.total)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {order.expires_at && order.status === 'PENDING' && (
        <p class="muted">Unpaid hold: canceled automatically at {when(order.expires_at)}.</p>
      )}
      {order.expires_at && order.status !== 'PENDING' && (
        <p class="muted">Hold was set to expire at {when(order.expires_at)}.</p>
      )}
      {order.cancel_reason && (
        <p>
          Canceled:{' '}
          <strong>{order.cancel_reason === 'expired' ? 'expired (not paid in time)' : order.cancel_reason}</strong>,{' '}
          {when(order.updated_at)}.
        </p>
      )}
      {mayChange && NEXT[order.status].length > 0 && (
        <div class="actions">
          {NEXT[order.status].map((next) => (
            <button
              key={next.status}
              type="button"
              class={next.status === 'CANCELED' ? 'danger' : 'primary'}
              disabled={busy}
              onClick={() => void change(next)}
            >
              {next.label}
            </button>
          ))}
        </div>
      )}
    </article>
  )
}

function ProductName({ id }: { id: number }) {
  const [name, setName] = useState(`product #${id}`)
  useEffect(() => {
    let live = true
    void productName(id).then((n) => live && setName(n))
    return () => {
      live = false
    }
  }, [id])
  return <>{name}</>
}
