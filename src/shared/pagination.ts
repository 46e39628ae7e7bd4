import type { FastifyReply, FastifyRequest } from 'fastify'
import { RequestValidationError } from './errors.js'
import type { PaginationQuery } from './schemas.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** PUBLIC_URL: the origin links are built from; empty: from the (validated) request. */
    publicUrl: string
  }
}

export interface Page {
  limit: number
  offset: number
  /** Keyset paging: rows after this id. */
  afterId?: number | undefined
}

/**
 * The page a list query asks for. `after_id` already says where the page starts: an `offset`
 * besides it would be a second, conflicting start (and its `Link` could not continue it), so the
 * two are refused together, except a harmless offset of 0.
 */
export function pageOf(query: PaginationQuery): Page {
  const offset = query.offset ?? query.skip ?? 0
  if (query.after_id !== undefined && offset > 0) {
    const name = query.offset !== undefined ? 'offset' : 'skip'
    throw new RequestValidationError([
      {
        loc: ['query', name],
        msg: `${name} cannot be combined with after_id: after_id already sets where the page starts`,
        type: 'value_error',
      },
    ])
  }
  return { limit: query.limit ?? 100, offset, afterId: query.after_id }
}

// A Host header that is not a plain host[:port] is not echoed into links (they become relative).
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * The origin of the links: PUBLIC_URL when set; else the request's, from values that are checked
 * (a scheme other than http/https or a Host that is not a plain host[:port] is not echoed: the
 * links become relative). Proxy headers count only under TRUST_PROXY (Fastify's request.host and
 * request.protocol).
 */
function originOf(request: FastifyRequest): string {
  if (request.server.publicUrl) return request.server.publicUrl
  const protocol = request.protocol
  if ((protocol !== 'http' && protocol !== 'https') || !PLAIN_HOST.test(request.host)) return ''
  return `${protocol}://${request.host}`
}

/** What the headers need to know of a page's items: how many, and the last one's id. */
export interface PageContents {
  size: number
  lastId: number | undefined
}

export const contentsOf = (items: readonly { id: number }[]): PageContents => ({
  size: items.length,
  lastId: items.at(-1)?.id,
})

/** Bodies stay bare arrays: paging metadata travels in X-Total-Count and Link headers. */
export function setPageHeaders(
  request: FastifyRequest,
  reply: FastifyReply,
  page: Page,
  total: number,
  contents: PageContents,
): void {
  reply.header('X-Total-Count', String(total))
  const origin = originOf(request)
  if (page.afterId !== undefined) {
    // Keyset paging goes on from the last id of this page; a short page is the last one.
    if (contents.lastId !== undefined && contents.size === page.limit) {
      const url = new URL(request.url, 'http://placeholder')
      url.searchParams.delete('offset')
      url.searchParams.delete('skip')
      url.searchParams.set('limit', String(page.limit))
      url.searchParams.set('after_id', String(contents.lastId))
      reply.header('Link', `<${origin}${url.pathname}${url.search}>; rel="next"`)
    }
    return
  }
  const links: string[] = []
  const linkTo = (offset: number, rel: string) => {
    const url = new URL(request.url, 'http://placeholder')
    url.searchParams.delete('skip')
    url.searchParams.set('limit', String(page.limit))
    url.searchParams.set('offset', String(offset))
    links.push(`<${origin}${url.pathname}${url.search}>; rel="${rel}"`)
  }
  if (page.offset + page.limit < total) linkTo(page.offset + page.limit, 'next')
  if (page.offset > 0) linkTo(Math.max(0, Math.min(page.offset - page.limit, total - page.limit)), 'prev')
  if (links.length > 0) reply.header('Link', links.join(', '))
}
