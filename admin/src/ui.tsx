import type { AnchorHTMLAttributes, ComponentChildren, InputHTMLAttributes } from 'preact'
import { createContext } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, type Access } from './api'

/* ---------- routing: history API under /admin ---------- */

export const BASE = '/admin'

export interface Route {
  /** The path below /admin, without a trailing slash ('' for the overview). */
  path: string
  query: URLSearchParams
}

const readRoute = (): Route => ({
  path: location.pathname.replace(/^\/admin/, '').replace(/\/+$/, ''),
  query: new URLSearchParams(location.search),
})

const listeners = new Set<() => void>()
export function navigate(to: string, { replace = false } = {}) {
  history[replace ? 'replaceState' : 'pushState'](null, '', to)
  listeners.forEach((listener) => listener())
}
addEventListener('popstate', () => listeners.forEach((listener) => listener()))

export function useRoute(): Route {
  const [route, setRoute] = useState(readRoute)
  useEffect(() => {
    const update = () => setRoute(readRoute())
    listeners.add(update)
    return () => void listeners.delete(update)
  }, [])
  return route
}

/** A real link (opens in a new tab with a modifier key), followed without reloading the page. */
export function Link({ href, children, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
    event.preventDefault()
    navigate(href)
  }
  return (
    <a href={href} onClick={follow} {...rest}>
      {children}
    </a>
  )
}

/* ---------- who is signed in, and what the key allows ---------- */

export interface Permissions {
  access: Access
  /** Create, edit and delete products; adjust stock; manage webhook endpoints (admin). */
  admin: boolean
  /** Change and cancel orders (orders or admin). */
  orders: boolean
}
export const PermissionsContext = createContext<Permissions>({
  access: { name: null, scope: 'read' },
  admin: false,
  orders: false,
})
export const usePermissions = () => useContext(PermissionsContext)

/* ---------- the status line: what the last action did ---------- */

interface Notice {
  text: string
  kind: 'done' | 'failed'
  at: number
}
let showNotice: (notice: Notice) => void = () => {}
export const announce = (text: string, kind: Notice['kind'] = 'done') => showNotice({ text, kind, at: Date.now() })

export function StatusLine() {
  const [notice, setNotice] = useState<Notice | undefined>()
  useEffect(() => {
    showNotice = setNotice
  }, [])
  useEffect(() => {
    if (!notice) return
    const timer = setTimeout(() => setNotice(undefined), 8000)
    return () => clearTimeout(timer)
  }, [notice])
  // Always in the page, so that screen readers hear each new message (role=status is polite).
  return (
    <div class={`status-line ${notice?.kind ?? ''}`} role="status" aria-live="polite">
      {notice && (
        <>
          <span>{notice.text}</span>
          <button type="button" class="link" onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </>
      )}
    </div>
  )
}

/* ---------- loading data ---------- */

export interface Loaded<T> {
  data: T | undefined
  error: ApiError | undefined
  loading: boolean
  reload: () => void
}

/** Runs `load` when `key` changes (and on reload); a newer load wins over a slower older one. */
export function useLoad<T>(load: () => Promise<T>, key: unknown[]): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload'>>({ data: undefined, error: undefined, loading: true })
  const [round, setRound] = useState(0)
  const latest = useRef(0)
  useEffect(() => {
    const ticket = ++latest.current
    setState((previous) => ({ ...previous, loading: true }))
    load().then(
      (data) => ticket === latest.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) =>
        ticket === latest.current && setState({ data: undefined, error: asApiError(error), loading: false }),
    )
  }, [...key, round])
  const reload = useCallback(() => setRound((n) => n + 1), [])
  return { ...state, reload }
}

export const asApiError = (error: unknown): ApiError =>
  error instanceof ApiError ? error : new ApiError(0, error instanceof Error ? error.message : String(error))

/** A failed load: what happened, what to do, and a retry button. */
export function ErrorState({ error, retry }: { error: ApiError; retry: () => void }) {
  const advice =
    error.status === 503
      ? 'The database may be down or busy: retry in a moment.'
      : error.status === 403
        ? 'This API key may not see this: sign in with a key of a wider scope.'
        : error.status === 404
          ? 'It may have been deleted.'
          : error.status === 0 || error.status >= 500
            ? 'Retry; if it keeps failing, check the service and its logs.'
            : ''
  return (
    <div class="error-state" role="alert">
      <p>
        <strong>Could not load this{error.status ? ` (${error.status})` : ''}:</strong> {error.message}
      </p>
      {advice && <p>{advice}</p>}
      <button type="button" onClick={retry}>
        Retry
      </button>
    </div>
  )
}

export function Loading() {
  return <p class="muted">Loading…</p>
}

/** Renders the data once loaded, else the loading or error state. */
export function Show<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error) return <ErrorState error={loaded.error} retry={loaded.reload} />
  if (loaded.data === undefined) return <Loading />
  return <>{children(loaded.data)}</>
}

/* ---------- forms ---------- */

/** A form's state: field messages from a 422, a message above it for anything else. */
export function useForm() {
  const [fields, setFields] = useState<Record<string, string>>({})
  const [problem, setProblem] = useState<string | undefined>()
  const [busy, setBusy] = useState(false)
  /** Runs `action`; on failure shows the API's messages and resolves to undefined. */
  const submit = async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true)
    setFields({})
    setProblem(undefined)
    try {
      return await action()
    } catch (error) {
      const failure = asApiError(error)
      setFields(failure.fields)
      setProblem(failure.message)
      return undefined
    } finally {
      setBusy(false)
    }
  }
  return { fields, problem, busy, submit }
}

export function FormProblem({ problem }: { problem: string | undefined }) {
  return problem ? (
    <p class="form-problem" role="alert">
      {problem}
    </p>
  ) : null
}

let fieldCount = 0
/** A labelled input with the API's message for it, tied together for screen readers. */
export function Field({
  label,
  name,
  error,
  hint,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; name: string; error?: string | undefined; hint?: string }) {
  const [id] = useState(() => `field-${name}-${++fieldCount}`)
  const described = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined
  return (
    <div class={`field ${error ? 'invalid' : ''}`}>
      <label for={id}>{label}</label>
      <input id={id} name={name} aria-invalid={error ? 'true' : undefined} aria-describedby={described} {...input} />
      {hint && (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-error`} class="field-error">
          {error}
        </small>
      )}
    </div>
  )
}

/** Reads a numeric field: a number when it is one, else the text as typed (the API then says what is wrong). */
export function numberOrText(value: string): number | string | undefined {
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  const number = Number(trimmed)
  return Number.isFinite(number) ? number : trimmed
}

/* ---------- confirmation dialog ---------- */

interface Question {
  title: string
  text: string
  confirm: string
  answer: (yes: boolean) => void
}
let ask: (question: Question) => void = () => {}

/** Asks before a destructive action; resolves to true when confirmed. */
export const confirmAction = (title: string, text: string, confirm: string) =>
  new Promise<boolean>((answer) => ask({ title, text, confirm, answer }))

/** A modal <dialog>: the page behind is inert, Escape cancels, focus returns where it was. */
export function ConfirmHost() {
  const [question, setQuestion] = useState<Question | undefined>()
  const dialog = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    ask = setQuestion
  }, [])
  useEffect(() => {
    if (question && dialog.current && !dialog.current.open) dialog.current.showModal()
  }, [question])
  const close = (yes: boolean) => {
    dialog.current?.close()
    question?.answer(yes)
    setQuestion(undefined)
  }
  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      onCancel={(event) => {
        event.preventDefault()
        close(false)
      }}
    >
      {question && (
        <form
          method="dialog"
          onSubmit={(event) => {
            event.preventDefault()
            close(true)
          }}
        >
          <h2 id="confirm-title">{question.title}</h2>
          <p>{question.text}</p>
          <div class="actions">
            <button type="button" autofocus onClick={() => close(false)}>
              Keep it
            </button>
            <button type="submit" class="danger">
              {question.confirm}
            </button>
          </div>
        </form>
      )}
    </dialog>
  )
}

/* ---------- small pieces ---------- */

/** First and next page of a list read with usePaging; `next` is the link to the next page, if any. */
export function Pager({ next, paging }: { next?: string | undefined; paging: Paging }) {
  if (!next && paging.atFirst) return null
  return (
    <nav class="pager" aria-label="Pages">
      {!paging.atFirst && (
        <button type="button" onClick={paging.first}>
          First page
        </button>
      )}
      {next && (
        <button type="button" onClick={() => paging.goTo(next)}>
          Next page
        </button>
      )}
    </nav>
  )
}

export type Paging = ReturnType<typeof usePaging>

/** The pages of a list, following the API's `Link: rel="next"`. */
export function usePaging(first: string) {
  const [page, setPage] = useState(first)
  useEffect(() => setPage(first), [first])
  return { page, atFirst: page === first, goTo: setPage, first: () => setPage(first) }
}

export function Badge({ children, tone }: { children: ComponentChildren; tone?: string }) {
  return <span class={`badge ${tone ?? ''}`}>{children}</span>
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

/** Focuses the page heading after navigation, so keyboard and screen-reader users start there. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    heading.current?.focus({ preventScroll: false })
    document.title = `${heading.current?.textContent ?? 'Admin'} · Orders & Inventory admin`
  }, [])
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  )
}
