import preact from '@preact/preset-vite'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

/**
 * The admin console, built into dist/admin/ and served by the service at /admin (src/plugins/admin.ts).
 * Hashed asset names let the service cache them for a year; the page itself is revalidated.
 */
export default defineConfig({
  root: here('.'),
  base: '/admin/',
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  cacheDir: here('../node_modules/.vite-admin'),
  build: {
    outDir: here('../dist/admin'),
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet: the whole console is a few kilobytes, and inline data: assets
    // would need a looser Content-Security-Policy.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  // `vite` (dev server) on port 5173 proxies the API to a service started with `npm start`.
  server: {
    proxy: Object.fromEntries(
      ['/products', '/orders', '/events', '/webhook-endpoints', '/webhook-deliveries', '/access', '/health'].map(
        (path) => [path, 'http://127.0.0.1:8000'],
      ),
    ),
  },
})
