import { lookup } from 'node:dns'
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/*
 * Where the service may send webhooks (server-side request forgery): only http(s) URLs, and in
 * production only to public unicast addresses unless WEBHOOK_ALLOW_PRIVATE_URLS=true. Loopback,
 * private (RFC 1918, IPv6 unique local), link-local (cloud metadata at 169.254.169.254),
 * carrier-grade NAT, multicast, unspecified and reserved ranges are refused. The check runs when an
 * endpoint is saved (resolving its host) and again at delivery, inside the connection's own DNS
 * lookup (`guardedLookup`), so a name that later resolves elsewhere (DNS rebinding) is refused too.
 */

/** Why a URL cannot be used, in one sentence; undefined when it is fine as a URL. */
export function urlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'URL is not valid'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'URL must use http or https'
  if (parsed.hostname === '') return 'URL must name a host'
  return undefined
}

/** True for an address the service must not reach unless private URLs are allowed. */
export function isNonPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true
  return ipaddr.process(address).range() !== 'unicast'
}

/** The host of a URL as DNS and `isIP` know it (IPv6 literals without their brackets). */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
}

/**
 * Resolves the URL's host and answers why it is refused (a non-public address, or a name that does
 * not resolve), or undefined when every address it resolves to is public.
 */
export async function nonPublicUrlProblem(url: string): Promise<string | undefined> {
  const host = hostOf(new URL(url))
  const addresses = isIP(host)
    ? [host]
    : await new Promise<string[]>((resolve) =>
        lookup(host, { all: true }, (error, found) => resolve(error ? [] : found.map((a) => a.address))),
      )
  if (addresses.length === 0) return `URL host ${host} does not resolve`
  if (addresses.some(isNonPublicAddress)) {
    return 'URL resolves to a loopback, private or link-local address (allowed only with WEBHOOK_ALLOW_PRIVATE_URLS=true)'
  }
  return undefined
}

export class BlockedAddressError extends Error {
  override name = 'BlockedAddressError'
  readonly code = 'EBLOCKEDADDRESS'
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | object[], family?: number) => void

/**
 * A `lookup` for `http.request`/`https.request` that refuses non-public addresses: the connection
 * is made only to an address that was checked, at the moment it is made.
 */
export function guardedLookup(hostname: string, options: object, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, [])
    const blocked = addresses.find((a) => isNonPublicAddress(a.address))
    if (blocked) {
      return callback(new BlockedAddressError(`${hostname} resolves to the non-public address ${blocked.address}`), [])
    }
    if ((options as { all?: boolean }).all) return callback(null, addresses)
    return callback(null, addresses[0]!.address, addresses[0]!.family)
  })
}
