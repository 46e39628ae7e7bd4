import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { reconcile } from '../modules/inventory/service.js'

/**
 * Checks the books every RECONCILIATION_INTERVAL_SECONDS on each instance: the
 * inventory_ledger_mismatches gauge (and its alert) then says, without anyone asking, whether
 * every product's stock is still the sum of its movements. GET /inventory/reconciliation updates
 * it too. One pass over products and movements (see docs/performance.md for its cost).
 */
async function ledgerCheckPlugin(app: FastifyInstance, { intervalSeconds }: { intervalSeconds: number }) {
  if (intervalSeconds === 0) return
  let running: Promise<void> | undefined
  const check = () => {
    running ??= reconcile(app.db)
      .then((result) => app.metrics.ledgerMismatches(result.mismatches.length))
      .catch((error: unknown) => app.log.warn({ err: error }, 'ledger reconciliation failed; will retry'))
      .finally(() => (running = undefined))
  }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    check()
    timer = setInterval(check, intervalSeconds * 1000).unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await running
  })
}

export default fp(ledgerCheckPlugin, { name: 'ledger-check', dependencies: ['db', 'metrics'] })
