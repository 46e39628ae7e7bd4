import { useState } from 'preact/hooks'
import { EVENT_TYPES, getPage, withQuery, type ServiceEvent } from './api'
import { money, when } from './format'
import { BASE, Empty, Link, PageTitle, Pager, Show, navigate, useLoad, usePaging } from './ui'

/** One line about what the event carries: the order or the product as the API showed it. */
function summary(event: ServiceEvent) {
  const data = event.data as Record<string, unknown>
  if (event.type.startsWith('order.'))
    return (
      <>
        <Link href={`${BASE}/orders/${String(data.id)}`}>Order #{String(data.id)}</Link> {String(data.status)}, total{' '}
        {money(data.total as number)}
      </>
    )
  return (
    <>
      {event.type === 'product.deleted' ? (
        <span>Product #{String(data.id)}</span>
      ) : (
        <Link href={`${BASE}/products/${String(data.id)}`}>Product #{String(data.id)}</Link>
      )}{' '}
      {String(data.sku)}, stock {String(data.stock)}
    </>
  )
}

export function Events({ query }: { query: URLSearchParams }) {
  const type = query.get('type') ?? ''
  const paging = usePaging(withQuery('/events', { type, limit: 50 }))
  const list = useLoad(() => getPage<ServiceEvent>(paging.page), [paging.page])
  const [chosen, setChosen] = useState(type)
  return (
    <>
      <PageTitle>Events</PageTitle>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery(`${BASE}/events`, { type: chosen }))
        }}
      >
        <div class="field">
          <label for="event-type">Type</label>
          <select id="event-type" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
            <option value="">Any</option>
            {EVENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      <p class="muted">Oldest first. Every change of orders, products and stock, written with the change itself.</p>
      <Show loaded={list}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>
              {type
                ? `No ${type} event yet.`
                : 'No events yet: they are written when products, orders or stock change.'}
            </Empty>
          ) : (
            <ul class="events">
              {page.items.map((event) => (
                <li key={event.id} class="event">
                  <div>
                    <strong>{event.type}</strong> <span class="muted">{when(event.timestamp)}</span>
                  </div>
                  <div>{summary(event)}</div>
                  <details>
                    <summary>
                      <code>{event.id}</code>: the whole event
                    </summary>
                    <pre>{JSON.stringify(event, null, 2)}</pre>
                  </details>
                </li>
              ))}
            </ul>
          )
        }
      </Show>
      <Pager next={list.data?.next} paging={paging} />
    </>
  )
}
