import { useState } from 'preact/hooks'
import { ApiError, call, get, getPage, withQuery, type Movement, type Product } from './api'
import { money, plural, when } from './format'
import { isLow } from './overview'
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
  numberOrText,
  useForm,
  useLoad,
  usePaging,
  usePermissions,
} from './ui'

const PAGE_SIZE = 50

export function Products({ query }: { query: URLSearchParams }) {
  const { admin } = usePermissions()
  const q = query.get('q') ?? ''
  const below = query.get('below_threshold') === 'true'
  const paging = usePaging(
    withQuery('/products', { q, below_threshold: below || undefined, after_id: 0, limit: PAGE_SIZE }),
  )
  const list = useLoad(() => getPage<Product>(paging.page), [paging.page])
  const [text, setText] = useState(q)
  const [onlyLow, setOnlyLow] = useState(below)
  return (
    <>
      <div class="title-row">
        <PageTitle>Products</PageTitle>
        {admin && (
          <Link class="button primary" href={`${BASE}/products/new`}>
            New product
          </Link>
        )}
      </div>
      <form
        class="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault()
          navigate(withQuery(`${BASE}/products`, { q: text.trim(), below_threshold: onlyLow || undefined }))
        }}
      >
        <div class="field">
          <label for="product-search">SKU or name contains</label>
          <input id="product-search" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <label class="check">
          <input type="checkbox" checked={onlyLow} onChange={(e) => setOnlyLow(e.currentTarget.checked)} /> Only below
          their low-stock threshold
        </label>
        <button type="submit">Search</button>
      </form>
      <Show loaded={list}>
        {(page) => {
          const items = page.items
          if (items.length === 0)
            return q || below ? (
              <Empty>No product matches these filters.</Empty>
            ) : (
              <Empty>No products yet{admin ? ': create one with “New product”.' : '.'}</Empty>
            )
          return (
            <>
              {page.total !== undefined && !q && !below && (
                <p class="muted">{plural(page.total, 'product')} in the catalogue.</p>
              )}
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">SKU</th>
                      <th scope="col">Name</th>
                      <th scope="col" class="num">
                        Price
                      </th>
                      <th scope="col" class="num">
                        Stock
                      </th>
                      <th scope="col">Updated</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((product) => (
                      <tr key={product.id}>
                        <td>
                          <Link href={`${BASE}/products/${product.id}`}>{product.sku}</Link>
                        </td>
                        <td>{product.name}</td>
                        <td class="num">{money(product.price)}</td>
                        <td class="num">
                          {product.stock} {isLow(product) && <Badge tone="warn">low</Badge>}
                        </td>
                        <td>{when(product.updated_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )
        }}
      </Show>
      <Pager next={list.data?.next} paging={paging} />
    </>
  )
}

interface ProductValues {
  sku: string
  name: string
  price: string
  stock: string
  low_stock_threshold: string
}

const valuesOf = (product?: Product): ProductValues => ({
  sku: product?.sku ?? '',
  name: product?.name ?? '',
  price: product ? product.price.toFixed(2) : '',
  stock: product ? String(product.stock) : '0',
  low_stock_threshold: product?.low_stock_threshold === null || !product ? '' : String(product.low_stock_threshold),
})

function ProductForm({
  product,
  submitLabel,
  save,
}: {
  product?: Product
  submitLabel: string
  save: (body: Record<string, unknown>) => Promise<unknown>
}) {
  const [values, setValues] = useState(() => valuesOf(product))
  const form = useForm()
  const bind = (name: keyof ProductValues) => ({
    name,
    value: values[name],
    error: form.fields[name],
    onInput: (event: Event) => setValues({ ...values, [name]: (event.currentTarget as HTMLInputElement).value }),
  })
  return (
    <form
      class="stack"
      noValidate
      onSubmit={(event) => {
        event.preventDefault()
        const body: Record<string, unknown> = {
          sku: values.sku,
          name: values.name,
          price: numberOrText(values.price),
          low_stock_threshold: numberOrText(values.low_stock_threshold) ?? null,
        }
        if (!product) body.stock = numberOrText(values.stock)
        void form.submit(() => save(body))
      }}
    >
      <FormProblem problem={form.problem} />
      <Field label="SKU" maxLength={64} autocomplete="off" {...bind('sku')} />
      <Field label="Name" maxLength={200} {...bind('name')} />
      <Field label="Price" inputMode="decimal" hint="At most two decimals" {...bind('price')} />
      {!product && <Field label="Stock" inputMode="numeric" {...bind('stock')} />}
      <Field
        label="Low-stock threshold"
        inputMode="numeric"
        hint="Optional: an event stock.low is sent when the stock falls below it"
        {...bind('low_stock_threshold')}
      />
      <div class="actions">
        <button type="submit" class="primary" disabled={form.busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  )
}

export function ProductCreate() {
  return (
    <>
      <PageTitle>New product</PageTitle>
      <ProductForm
        submitLabel="Create product"
        save={async (body) => {
          const product = (await call<Product>('POST', '/products', body)).body
          announce(`Created product ${product.sku} (id ${product.id}) with ${product.stock} in stock.`)
          navigate(`${BASE}/products/${product.id}`)
        }}
      />
    </>
  )
}

const REASONS = ['received', 'returned', 'correction', 'cycle_count', 'damaged', 'shrinkage', 'other']

export function ProductDetail({ id }: { id: number }) {
  const { admin } = usePermissions()
  const loaded = useLoad(async () => {
    const { body, headers } = await get<Product>(`/products/${id}`)
    return { product: body, etag: headers.get('etag') }
  }, [id])
  const [version, setVersion] = useState(0)
  const changed = () => {
    loaded.reload()
    setVersion((n) => n + 1)
  }
  return (
    <Show loaded={loaded}>
      {({ product, etag }) => {
        const ifMatch: Record<string, string> = etag ? { 'if-match': etag } : {}
        return (
          <>
            <p class="crumbs">
              <Link href={`${BASE}/products`}>Products</Link> ›
            </p>
            <PageTitle>{product.name}</PageTitle>
            <dl class="facts">
              <dt>SKU</dt>
              <dd>{product.sku}</dd>
              <dt>Price</dt>
              <dd>{money(product.price)}</dd>
              <dt>Stock</dt>
              <dd data-testid="stock">
                {product.stock} {isLow(product) && <Badge tone="warn">below threshold</Badge>}
              </dd>
              <dt>Low-stock threshold</dt>
              <dd>{product.low_stock_threshold ?? 'none'}</dd>
              <dt>Updated</dt>
              <dd>{when(product.updated_at)}</dd>
            </dl>
            <p>
              <Link href={withQuery(`${BASE}/orders`, { product_id: product.id })}>Orders with this product</Link>
            </p>
            {admin && (
              <div class="columns">
                <section aria-labelledby="edit-title">
                  <h2 id="edit-title">Edit</h2>
                  <ProductForm
                    key={product.updated_at}
                    product={product}
                    submitLabel="Save changes"
                    save={async (body) => {
                      try {
                        const saved = (await call<Product>('PATCH', `/products/${id}`, body, ifMatch)).body
                        announce(`Saved product ${saved.sku}.`)
                        changed()
                      } catch (error) {
                        if (error instanceof ApiError && error.status === 412)
                          throw new ApiError(
                            412,
                            'Someone changed this product since you opened it: reload the page, then edit again.',
                          )
                        throw error
                      }
                    }}
                  />
                </section>
                <section aria-labelledby="adjust-title">
                  <h2 id="adjust-title">Adjust stock</h2>
                  <AdjustStock key={product.updated_at} product={product} adjusted={changed} />
                </section>
              </div>
            )}
            <Movements productId={id} version={version} />
            {admin && (
              <section aria-labelledby="danger-title" class="danger-zone">
                <h2 id="danger-title">Delete</h2>
                <p>The product leaves the catalogue and its SKU becomes free; orders that name it keep working.</p>
                <button
                  type="button"
                  class="danger"
                  onClick={async () => {
                    const yes = await confirmAction(
                      `Delete product ${product.sku}?`,
                      `“${product.name}” leaves the catalogue. This cannot be undone.`,
                      'Delete product',
                    )
                    if (!yes) return
                    try {
                      await call('DELETE', `/products/${id}`, undefined, ifMatch)
                      announce(`Deleted product ${product.sku}.`)
                      navigate(`${BASE}/products`)
                    } catch (error) {
                      announce(`Product ${product.sku} was not deleted: ${asApiError(error).message}`, 'failed')
                    }
                  }}
                >
                  Delete product…
                </button>
              </section>
            )}
          </>
        )
      }}
    </Show>
  )
}

function AdjustStock({ product, adjusted }: { product: Product; adjusted: () => void }) {
  const [delta, setDelta] = useState('')
  const [reason, setReason] = useState('received')
  const [reference, setReference] = useState('')
  const form = useForm()
  return (
    <form
      class="stack"
      noValidate
      onSubmit={async (event) => {
        event.preventDefault()
        const movement = await form.submit(
          async () =>
            (
              await call<Movement>('POST', `/products/${product.id}/stock-adjustments`, {
                delta: numberOrText(delta),
                reason,
                ...(reference.trim() && { reference: reference.trim() }),
                // Compare-and-set: refused (409) if the stock changed since this page loaded.
                expected_stock: product.stock,
              })
            ).body,
        )
        if (!movement) return
        const sign = movement.delta > 0 ? '+' : ''
        announce(`Stock of ${product.sku} ${sign}${movement.delta} (${movement.reason}): now ${movement.stock_after}.`)
        adjusted()
      }}
    >
      <FormProblem problem={form.problem} />
      <Field
        label="Change (+ received, − removed)"
        name="delta"
        inputMode="numeric"
        value={delta}
        error={form.fields.delta}
        onInput={(e) => setDelta(e.currentTarget.value)}
      />
      <div class={`field ${form.fields.reason ? 'invalid' : ''}`}>
        <label for="adjust-reason">Reason</label>
        <select id="adjust-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
          {REASONS.map((r) => (
            <option key={r} value={r}>
              {r.replace('_', ' ')}
            </option>
          ))}
        </select>
        {form.fields.reason && <small class="field-error">{form.fields.reason}</small>}
      </div>
      <Field
        label="Reference (optional)"
        name="reference"
        hint="A delivery note, a count sheet…"
        value={reference}
        error={form.fields.reference}
        onInput={(e) => setReference(e.currentTarget.value)}
      />
      <div class="actions">
        <button type="submit" class="primary" disabled={form.busy}>
          Adjust stock
        </button>
      </div>
    </form>
  )
}

function Movements({ productId, version }: { productId: number; version: number }) {
  const paging = usePaging(`/products/${productId}/stock-movements?after_id=0&limit=${PAGE_SIZE}`)
  const list = useLoad(() => getPage<Movement>(paging.page), [paging.page, version])
  return (
    <section aria-labelledby="movements-title">
      <h2 id="movements-title">Stock movements</h2>
      <Show loaded={list}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No movement yet.</Empty>
          ) : (
            <div class="table-wrap">
              <table data-testid="movements">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col" class="num">
                      Change
                    </th>
                    <th scope="col" class="num">
                      Stock after
                    </th>
                    <th scope="col">Reason</th>
                    <th scope="col">Order</th>
                    <th scope="col">Reference</th>
                    <th scope="col">By</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((movement) => (
                    <tr key={movement.id}>
                      <td>{when(movement.created_at)}</td>
                      <td class="num">{movement.delta > 0 ? `+${movement.delta}` : movement.delta}</td>
                      <td class="num">{movement.stock_after}</td>
                      <td>{movement.reason}</td>
                      <td>
                        {movement.order_id ? (
                          <Link href={`${BASE}/orders/${movement.order_id}`}>#{movement.order_id}</Link>
                        ) : (
                          ''
                        )}
                      </td>
                      <td>{movement.reference ?? ''}</td>
                      <td>{movement.actor ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
      <Pager next={list.data?.next} paging={paging} />
    </section>
  )
}

/** Product names for order lines, fetched once per product (a deleted one keeps its id). */
const names = new Map<number, Promise<string>>()
export function productName(id: number): Promise<string> {
  let name = names.get(id)
  if (!name) {
    name = get<Product>(`/products/${id}`).then(
      ({ body }) => `${body.name} (${body.sku})`,
      () => `product #${id}`,
    )
    names.set(id, name)
  }
  return name
}
