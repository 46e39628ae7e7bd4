import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { brotliCompress, constants as zlib, gzip as gzipCompress } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** The console's build (`vite build admin`), beside the compiled service: dist/admin/. */
export const ADMIN_DIST = fileURLToPath(new URL('../../dist/admin/', import.meta.url))

/**
 * The page's policy: only this origin's own scripts, styles and API. Set on every answer of the
 * console's routes, in place of the service-wide policy (security.ts).
 */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

const NOT_BUILT = { detail: 'The admin console is not built: run npm run build' }

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
}
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.txt', '.ico'])

/** One file of the build, held in memory with its compressed forms. */
interface Asset {
  type: string
  etag: string
  /** Hashed names (assets/) never change: a year, immutable. index.html is revalidated. */
  cacheControl: string
  identity: Buffer
  br?: Buffer
  gzip?: Buffer
}

type Build = Map<string, Asset>

const brotli = promisify(brotliCompress)
const gzip = promisify(gzipCompress)

/** The last build read, by folder and the time its index.html was written: apps built in one process share it. */
let cached: { dir: string; builtAt: number; files: Promise<Build | undefined> } | undefined

/**
 * Reads every file of the build and compresses it (brotli and gzip, in zlib's thread pool), once
 * per build and process; undefined when there is no build, or it is being replaced right now.
 */
export function loadAdminBuild(dir: string = ADMIN_DIST): Promise<Build | undefined> {
  let builtAt: number
  try {
    builtAt = statSync(join(dir, 'index.html')).mtimeMs
  } catch {
    return Promise.resolve(undefined)
  }
  if (cached?.dir !== dir || cached.builtAt !== builtAt) {
    const files = readBuild(dir).catch(() => undefined)
    cached = { dir, builtAt, files }
  }
  return cached.files
}

async function readBuild(dir: string): Promise<Build> {
  const paths: string[] = []
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(folder, entry.name))
      else paths.push(join(folder, entry.name))
    }
  }
  walk(dir)
  const assets = await Promise.all(
    paths.map(async (path): Promise<[string, Asset]> => {
      const identity = readFileSync(path)
      const extension = extname(path)
      const urlPath = relative(dir, path).split(sep).join('/')
      const asset: Asset = {
        type: TYPES[extension] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
        cacheControl: urlPath.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        identity,
      }
      if (COMPRESSIBLE.has(extension) && identity.length > 256) {
        const [br, gz] = await Promise.all([
          brotli(identity, {
            params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length },
          }),
          gzip(identity, { level: 9 }),
        ])
        if (br.length < identity.length) asset.br = br
        if (gz.length < identity.length) asset.gzip = gz
      }
      return [urlPath, asset]
    }),
  )
  return new Map(assets)
}

/** The encoding the client prefers among those we hold (a `q=0` refuses one). */
export function pickEncoding(header: string | undefined, asset: Asset): 'br' | 'gzip' | undefined {
  if (!header) return undefined
  const accepted = new Map<string, number>()
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...parameters] = part.trim().split(';')
    const q = parameters.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean)
    accepted.set(name.trim(), q === undefined ? 1 : Number(q))
  }
  const weight = (name: string) => accepted.get(name) ?? accepted.get('*') ?? 0
  if (asset.br && weight('br') > 0 && weight('br') >= weight('gzip')) return 'br'
  if (asset.gzip && weight('gzip') > 0) return 'gzip'
  if (asset.br && weight('br') > 0) return 'br'
  return undefined
}

/**
 * The admin console at /admin: a Preact single-page app built by Vite into dist/admin/, read and
 * precompressed (brotli, gzip) into memory once at start. Client-side routes under /admin/ get index.html;
 * hashed assets are cached for a year. The pages are public: the API calls the console makes
 * carry the user's key. Without a build, /admin says how to make one.
 */
export default async function adminPlugin(app: FastifyInstance, { dir }: { dir?: string } = {}) {
  // Read and compressed in the background (zlib's thread pool), so that the service does not
  // start later for it: the first page request waits for it if it comes sooner.
  const build = loadAdminBuild(dir)
  void build.then((files) => {
    if (!files)
      app.log.warn('The admin console is not built (dist/admin/ is missing): /admin answers 503 until npm run build')
  })

  const send = (request: FastifyRequest, reply: FastifyReply, asset: Asset) => {
    reply
      .header('Content-Security-Policy', ADMIN_CSP)
      .header('Cache-Control', asset.cacheControl)
      .header('ETag', asset.etag)
      .header('Vary', 'Accept-Encoding')
      .type(asset.type)
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
    const encoding = pickEncoding(request.headers['accept-encoding'], asset)
    if (encoding) reply.header('Content-Encoding', encoding)
    return reply.send(encoding ? asset[encoding] : asset.identity)
  }

  const serve = async (request: FastifyRequest<{ Params: { '*'?: string } }>, reply: FastifyReply) => {
    const files = await build
    if (!files) return reply.code(503).header('Content-Security-Policy', ADMIN_CSP).send(NOT_BUILT)
    const path = request.params['*'] ?? ''
    const file = files.get(path)
    if (file) return send(request, reply, file)
    // A missing file (a script of an older build, a typo) is a 404, never the page in its place.
    if (path.startsWith('assets/') || extname(path) !== '') {
      return reply.code(404).header('Content-Security-Policy', ADMIN_CSP).send({ detail: 'Not Found' })
    }
    return send(request, reply, files.get('index.html')!)
  }

  const options = { schema: { hide: true }, config: { scope: 'public' as const } }
  app.get('/admin', options, serve)
  app.get('/admin/*', options, serve)
}
