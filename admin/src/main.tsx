import { render } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { type ApiError, get, storedKey, storeKey, whenUnauthorized, type Access } from './api'
import { Events } from './events'
import { setCurrency } from './format'
import { OrderDetail, Orders } from './orders'
import { Overview } from './overview'
import { ProductCreate, ProductDetail, Products } from './products'
import {
  BASE,
  ConfirmHost,
  ErrorState,
  Link,
  PageTitle,
  PermissionsContext,
  StatusLine,
  asApiError,
  useRoute,
  type Route,
} from './ui'
import { EndpointDetail, Webhooks } from './webhooks'
import './style.css'

type Session =
  | { state: 'checking' }
  | { state: 'sign-in'; message?: string }
  | { state: 'ready'; access: Access }
  | { state: 'error'; error: ApiError }

function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' })
  const current = useRef(session)
  current.current = session

  const check = async (signingIn = false) => {
    setSession({ state: 'checking' })
    try {
      const info = await get<{ currency?: string }>('/').catch(() => undefined)
      setCurrency(info?.body?.currency)
      setSession({ state: 'ready', access: (await get<Access>('/access')).body })
    } catch (error) {
      const failure = asApiError(error)
      if (failure.status === 401) {
        const hadKey = storedKey() !== null
        storeKey(null)
        setSession({
          state: 'sign-in',
          message: hadKey || signingIn ? 'This key was not accepted: check it and try again.' : undefined,
        })
      } else setSession({ state: 'error', error: failure })
    }
  }

  useEffect(() => {
    whenUnauthorized(() => {
      if (current.current.state !== 'ready') return
      storeKey(null)
      setSession({ state: 'sign-in', message: 'The service no longer accepts this key: sign in again.' })
    })
    void check()
  }, [])

  if (session.state === 'checking') return <p class="boot muted">Connecting to the service…</p>
  if (session.state === 'error')
    return (
      <main id="main" class="boot">
        <PageTitle>Orders &amp; Inventory admin</PageTitle>
        <ErrorState error={session.error} retry={() => void check()} />
      </main>
    )
  if (session.state === 'sign-in') return <SignIn message={session.message} onKey={() => void check(true)} />
  const { access } = session
  const permissions = { access, admin: access.scope === 'admin', orders: access.scope !== 'read' }
  return (
    <PermissionsContext.Provider value={permissions}>
      <Shell
        access={access}
        signOut={() => {
          storeKey(null)
          setSession({ state: 'sign-in', message: 'Signed out.' })
        }}
      />
    </PermissionsContext.Provider>
  )
}

function SignIn({ message, onKey }: { message: string | undefined; onKey: () => void }) {
  const [key, setKey] = useState('')
  return (
    <main id="main" class="boot sign-in">
      <PageTitle>Sign in</PageTitle>
      <p>
        This service runs with API keys. Enter yours: it is kept in this tab only, and forgotten when the tab closes.
      </p>
      {message && (
        <p class="form-problem" role="alert">
          {message}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault()
          if (!key.trim()) return
          storeKey(key.trim())
          onKey()
        }}
      >
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
        </div>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </main>
  )
}

const SECTIONS = [
  { path: '', label: 'Overview' },
  { path: 'products', label: 'Products' },
  { path: 'orders', label: 'Orders' },
  { path: 'webhooks', label: 'Webhooks' },
  { path: 'events', label: 'Events' },
]

const SCOPE_TEXT = {
  read: 'read only',
  orders: 'may change orders',
  admin: 'may change everything',
}

function Shell({ access, signOut }: { access: Access; signOut: () => void }) {
  const route = useRoute()
  const section = route.path.split('/')[1] ?? ''
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <nav aria-label="Sections">
          <span class="brand">Orders &amp; Inventory</span>
          <ul>
            {SECTIONS.map(({ path, label }) => (
              <li key={path}>
                <Link href={`${BASE}/${path}`} aria-current={section === path ? 'page' : undefined}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span>
            {access.name ? (
              <>
                Key <strong>{access.name}</strong>: <span data-scope={access.scope}>{access.scope}</span> (
                {SCOPE_TEXT[access.scope]})
              </>
            ) : (
              'Open access: the service runs without API keys'
            )}
          </span>
          {storedKey() && (
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          )}
        </div>
      </header>
      <main id="main" key={route.path}>
        <Page route={route} />
      </main>
      <StatusLine />
      <ConfirmHost />
    </>
  )
}

function Page({ route }: { route: Route }) {
  const [, section = '', id, ...rest] = route.path.split('/')
  if (rest.length === 0) {
    if (section === '' && id === undefined) return <Overview />
    if (section === 'products' && id === undefined) return <Products query={route.query} />
    if (section === 'products' && id === 'new') return <ProductCreate />
    if (section === 'products' && id && /^\d+$/.test(id)) return <ProductDetail id={Number(id)} />
    if (section === 'orders' && id === undefined) return <Orders query={route.query} />
    if (section === 'orders' && id && /^\d+$/.test(id)) return <OrderDetail id={Number(id)} />
    if (section === 'webhooks' && id === undefined) return <Webhooks />
    if (section === 'webhooks' && id && /^\d+$/.test(id)) return <EndpointDetail id={Number(id)} />
    if (section === 'events' && id === undefined) return <Events query={route.query} />
  }
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no such page in the console. <Link href={`${BASE}/`}>Go to the overview</Link>.
      </p>
    </>
  )
}

render(<App />, document.getElementById('app')!)
