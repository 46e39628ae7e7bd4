import { useRef, useState } from 'preact/hooks'
import {
  call,
  EVENT_TYPES,
  get,
  getPage,
  withQuery,
  type Delivery,
  type DeliveryWithAttempts,
  type Endpoint,
} from './api'
import { plural, when } from './format'
import { failedDeliveries } from './overview'
import {
  BASE,
  Badge,
  Empty,
  Field,
  FormProblem,
  Link,
  PageTitle,
  Pager,
  Show,
  announce,
  asApiError,
  confirmAction,
  navigate,
  useForm,
  useLoad,
  usePaging,
  usePermissions,
} from './ui'

export function Webhooks() {
  const { admin } = usePermissions()
  const paging = usePaging('/webhook-endpoints?after_id=0&limit=50')
  const list = useLoad(() => getPage<Endpoint>(paging.page), [paging.page])
  const failed = useLoad(failedDeliveries, [])
  const [created, setCreated] = useState<Endpoint | undefined>()
  return (
    <>
      <PageTitle>Webhook endpoints</PageTitle>
      {created?.secret && <SecretPanel endpoint={created} secret={created.secret} done={() => setCreated(undefined)} />}
      <Show loaded={list}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No webhook endpoints yet{admin ? ': add one below to receive the store’s events.' : '.'}</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Events</th>
                    <th scope="col">State</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((endpoint) => (
                    <tr key={endpoint.id}>
                      <td class="url">
                        <Link href={`${BASE}/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
                      </td>
                      <td>{endpoint.events.join(', ')}</td>
                      <td>
                        {endpoint.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="warn">disabled</Badge>}
                      </td>
                      <td>{endpoint.description ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      <Pager next={list.data?.next} paging={paging} />
      {admin && (
        <section aria-labelledby="new-endpoint">
          <h2 id="new-endpoint">Add an endpoint</h2>
          <EndpointForm
            created={(endpoint) => {
              setCreated(endpoint)
              list.reload()
            }}
          />
        </section>
      )}
      <section aria-labelledby="failed-title" id="failed">
        <h2 id="failed-title">Failed deliveries</h2>
        <Show loaded={failed}>
          {(data) =>
            data.items.length === 0 ? (
              <Empty>No failed delivery: every event reached its endpoints, or is still being retried.</Empty>
            ) : (
              <>
                <p class="muted">{plural(data.total, 'delivery', 'deliveries')} used up every retry.</p>
                <DeliveryList deliveries={data.items} changed={failed.reload} showEndpoint />
              </>
            )
          }
        </Show>
      </section>
    </>
  )
}

function EndpointForm({ created }: { created: (endpoint: Endpoint) => void }) {
  const [url, setUrl] = useState('')
  const [description, setDescription] = useState('')
  const [events, setEvents] = useState<string[]>(['*'])
  const form = useForm()
  const toggle = (type: string, on: boolean) => {
    if (type === '*') return setEvents(on ? ['*'] : [])
    setEvents((current) => (on ? [...current.filter((e) => e !== '*'), type] : current.filter((e) => e !== type)))
  }
  return (
    <form
      class="stack"
      noValidate
      onSubmit={async (event) => {
        event.preventDefault()
        const endpoint = await form.submit(
          async () =>
            (
              await call<Endpoint>('POST', '/webhook-endpoints', {
                url: url.trim(),
                events,
                ...(description.trim() && { description: description.trim() }),
              })
            ).body,
        )
        if (!endpoint) return
        announce(`Added webhook endpoint ${endpoint.url}: copy its secret now.`)
        setUrl('')
        setDescription('')
        setEvents(['*'])
        created(endpoint)
      }}
    >
      <FormProblem problem={form.problem} />
      <Field
        label="URL"
        name="url"
        type="url"
        inputMode="url"
        placeholder="https://example.com/webhooks"
        value={url}
        error={form.fields.url}
        onInput={(e) => setUrl(e.currentTarget.value)}
      />
      <Field
        label="Description (optional)"
        name="description"
        value={description}
        error={form.fields.description}
        onInput={(e) => setDescription(e.currentTarget.value)}
      />
      <fieldset class={form.fields.events ? 'invalid' : ''}>
        <legend>Events</legend>
        <div class="checks">
          {['*', ...EVENT_TYPES].map((type) => (
            <label key={type} class="check">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => toggle(type, e.currentTarget.checked)}
              />
              {type === '*' ? 'All events' : type}
            </label>
          ))}
        </div>
        {form.fields.events && <small class="field-error">{form.fields.events}</small>}
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={form.busy}>
          Add endpoint
        </button>
      </div>
    </form>
  )
}

/** The signing secret, shown once: the API never shows it again. */
function SecretPanel({ endpoint, secret, done }: { endpoint: Endpoint; secret: string; done: () => void }) {
  const code = useRef<HTMLElement>(null)
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret)
      announce('Secret copied to the clipboard.')
    } catch {
      // Without clipboard access: select it, so that Ctrl+C copies it.
      const range = document.createRange()
      if (code.current) range.selectNodeContents(code.current)
      getSelection()?.removeAllRanges()
      getSelection()?.addRange(range)
      announce('The browser did not allow copying: the secret is selected, press Ctrl+C (⌘C).', 'failed')
    }
  }
  return (
    <section class="secret" aria-labelledby="secret-title" role="region">
      <h2 id="secret-title">Signing secret of {endpoint.url}</h2>
      <p class="warning">
        <strong>Copy it now: it is shown only this once.</strong> Store it where your receiver reads it; to get a new
        one later, rotate the secret.
      </p>
      <p>
        <code ref={code} data-testid="secret">
          {secret}
        </code>
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy secret
        </button>
        <button type="button" onClick={done}>
          I have stored it
        </button>
      </div>
    </section>
  )
}

export function EndpointDetail({ id }: { id: number }) {
  const { admin } = usePermissions()
  const loaded = useLoad(async () => (await get<Endpoint>(`/webhook-endpoints/${id}`)).body, [id])
  const [status, setStatus] = useState('')
  const paging = usePaging(withQuery(`/webhook-endpoints/${id}/deliveries`, { status, after_id: 0, limit: 50 }))
  const deliveries = useLoad(() => getPage<Delivery>(paging.page), [paging.page])
  const [secret, setSecret] = useState<string | undefined>()
  const act = async (work: () => Promise<void>, failure: string) => {
    try {
      await work()
    } catch (error) {
      announce(`${failure}: ${asApiError(error).message}`, 'failed')
    }
  }
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/webhooks`}>Webhook endpoints</Link> ›
      </p>
      <PageTitle>Endpoint #{id}</PageTitle>
      <Show loaded={loaded}>
        {(endpoint) => (
          <>
            {secret && <SecretPanel endpoint={endpoint} secret={secret} done={() => setSecret(undefined)} />}
            <dl class="facts">
              <dt>URL</dt>
              <dd class="url">{endpoint.url}</dd>
              <dt>Events</dt>
              <dd>{endpoint.events.join(', ')}</dd>
              <dt>State</dt>
              <dd data-testid="endpoint-state">
                {endpoint.enabled
                  ? 'enabled'
                  : `disabled${endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ''}`}
              </dd>
              <dt>Description</dt>
              <dd>{endpoint.description ?? '—'}</dd>
              <dt>Created</dt>
              <dd>{when(endpoint.created_at)}</dd>
            </dl>
            {admin && (
              <div class="actions">
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      await call('PATCH', `/webhook-endpoints/${id}`, { enabled: !endpoint.enabled })
                      announce(
                        `Endpoint ${endpoint.url} ${endpoint.enabled ? 'disabled: nothing is sent to it' : 'enabled'}.`,
                      )
                      loaded.reload()
                    }, 'The endpoint was not changed')
                  }
                >
                  {endpoint.enabled ? 'Disable' : 'Enable'}
                </button>
                <button
                  type="button"
                  onClick={() =>
                    void act(async () => {
                      const yes = await confirmAction(
                        'Rotate the signing secret?',
                        'A new secret is made; the current one keeps signing too for 24 hours, so the receiver can switch.',
                        'Rotate secret',
                      )
                      if (!yes) return
                      const rotated = (await call<Endpoint>('POST', `/webhook-endpoints/${id}/rotate-secret`)).body
                      setSecret(rotated.secret)
                      announce('Secret rotated: copy the new one now.')
                    }, 'The secret was not rotated')
                  }
                >
                  Rotate secret…
                </button>
                <button
                  type="button"
                  class="danger"
                  onClick={() =>
                    void act(async () => {
                      const yes = await confirmAction(
                        `Delete endpoint ${endpoint.url}?`,
                        'Its deliveries and their attempts are deleted with it.',
                        'Delete endpoint',
                      )
                      if (!yes) return
                      await call('DELETE', `/webhook-endpoints/${id}`)
                      announce(`Deleted endpoint ${endpoint.url}.`)
                      navigate(`${BASE}/webhooks`)
                    }, 'The endpoint was not deleted')
                  }
                >
                  Delete…
                </button>
              </div>
            )}
          </>
        )}
      </Show>
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        <div class="filters">
          <div class="field">
            <label for="delivery-status">Status</label>
            <select id="delivery-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">Any</option>
              <option value="pending">pending</option>
              <option value="succeeded">succeeded</option>
              <option value="failed">failed</option>
            </select>
          </div>
          <button type="button" onClick={deliveries.reload}>
            Refresh
          </button>
        </div>
        <Show loaded={deliveries}>
          {(page) =>
            page.items.length === 0 ? (
              <Empty>
                No deliveries
                {status ? ` ${status}` : ' yet: they appear when an event this endpoint subscribes to happens'}.
              </Empty>
            ) : (
              <DeliveryList deliveries={page.items} changed={deliveries.reload} />
            )
          }
        </Show>
        <Pager next={deliveries.data?.next} paging={paging} />
      </section>
    </>
  )
}

function DeliveryList({
  deliveries,
  changed,
  showEndpoint = false,
}: {
  deliveries: Delivery[]
  changed: () => void
  showEndpoint?: boolean
}) {
  return (
    <ul class="deliveries">
      {deliveries.map((delivery) => (
        <li key={delivery.id}>
          <DeliveryItem delivery={delivery} changed={changed} showEndpoint={showEndpoint} />
        </li>
      ))}
    </ul>
  )
}

function DeliveryItem({
  delivery,
  changed,
  showEndpoint,
}: {
  delivery: Delivery
  changed: () => void
  showEndpoint: boolean
}) {
  const { admin } = usePermissions()
  const [open, setOpen] = useState(false)
  const [version, setVersion] = useState(0)
  return (
    <article class="delivery" data-delivery={delivery.id} aria-label={`Delivery ${delivery.id}`}>
      <header>
        <strong>{delivery.event_type}</strong>
        <Badge tone={delivery.status === 'succeeded' ? 'ok' : delivery.status === 'failed' ? 'bad' : 'warn'}>
          {delivery.status}
        </Badge>
        <span class="muted">
          delivery {delivery.id} · event {delivery.event_id} · {plural(delivery.attempts, 'attempt')}
          {delivery.last_status_code !== null && ` · last answer ${delivery.last_status_code}`}
          {delivery.next_attempt_at && ` · next try ${when(delivery.next_attempt_at)}`}
        </span>
        {showEndpoint && (
          <Link href={`${BASE}/webhooks/${delivery.endpoint_id}`}>endpoint #{delivery.endpoint_id}</Link>
        )}
      </header>
      {delivery.last_error && <p class="muted">Last error: {delivery.last_error}</p>}
      <div class="actions">
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? 'Hide attempts' : 'Show attempts'}
        </button>
        {admin && (
          <button
            type="button"
            onClick={async () => {
              try {
                await call('POST', `/webhook-deliveries/${delivery.id}/retry`)
                announce(`Delivery ${delivery.id} (${delivery.event_type}) is being sent again now.`)
                setVersion((n) => n + 1)
                setTimeout(changed, 1500)
              } catch (error) {
                announce(`Delivery ${delivery.id} was not redelivered: ${asApiError(error).message}`, 'failed')
              }
            }}
          >
            Redeliver
          </button>
        )}
      </div>
      {open && <Attempts id={delivery.id} version={version} />}
    </article>
  )
}

function Attempts({ id, version }: { id: number; version: number }) {
  const loaded = useLoad(async () => (await get<DeliveryWithAttempts>(`/webhook-deliveries/${id}`)).body, [id, version])
  return (
    <Show loaded={loaded}>
      {(delivery) =>
        delivery.attempt_log.length === 0 ? (
          <Empty>Not attempted yet.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="attempts">
              <caption class="visually-hidden">Attempts of delivery {id}</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Started</th>
                  <th scope="col" class="num">
                    Took
                  </th>
                  <th scope="col">Answer</th>
                  <th scope="col">Error or response</th>
                </tr>
              </thead>
              <tbody>
                {delivery.attempt_log.map((attempt) => (
                  <tr key={attempt.attempt}>
                    <td>{attempt.attempt}</td>
                    <td>{when(attempt.started_at)}</td>
                    <td class="num">{attempt.duration_ms} ms</td>
                    <td>{attempt.status_code ?? 'none'}</td>
                    <td class="excerpt">{attempt.error ?? attempt.response_excerpt ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </Show>
  )
}
