import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  encryptionKey,
  generateSecret,
  openSecret,
  sealSecret,
  secretKey,
  SecretUnavailableError,
  signatureHeader,
} from '../src/shared/secrets.js'
import {
  BlockedAddressError,
  guardedLookup,
  isNonPublicAddress,
  nonPublicUrlProblem,
  urlProblem,
} from '../src/shared/url-safety.js'

/*
 * Below HTTP: where webhooks may be sent (server-side request forgery) and how their secrets are
 * made, kept and used. No database involved.
 */

const REFUSED =
  'URL resolves to a loopback, private or link-local address (allowed only with WEBHOOK_ALLOW_PRIVATE_URLS=true)'

describe('webhook URLs', () => {
  it('when a URL is not an absolute http(s) URL, then urlProblem says why; an http(s) URL passes', () => {
    expect(urlProblem('not a url')).toBe('URL is not valid')
    expect(urlProblem('hooks.example.com/in')).toBe('URL is not valid')
    expect(urlProblem('https://')).toBe('URL is not valid')
    expect(urlProblem('http://example.com:99999/')).toBe('URL is not valid')
    for (const url of [
      'ftp://files.example.com/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'ws://example.com/',
      'data:text/plain,hi',
    ]) {
      expect(urlProblem(url), url).toBe('URL must use http or https')
    }
    for (const url of [
      'https://hooks.example.com/in?x=1',
      'http://example.com:8080/',
      'HTTPS://EXAMPLE.COM',
      'http://[2001:db8::1]/',
    ]) {
      expect(urlProblem(url), url).toBeUndefined()
    }
  })

  it('when an address is loopback, private, link-local, shared, multicast, reserved or not an address, then it is non-public', () => {
    const nonPublic = [
      '127.0.0.1',
      '127.255.255.254',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      'example.com',
      '',
    ]
    for (const address of nonPublic) expect(isNonPublicAddress(address), address).toBe(true)
    for (const address of ['8.8.8.8', '93.184.215.14', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isNonPublicAddress(address), address).toBe(false)
    }
  })

  it('when a URL names a non-public address in any spelling, then nonPublicUrlProblem refuses it', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f.1/',
      'http://0/',
      'http://10.1.2.3/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::]/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost/',
      'http://LOCALHOST:8080/',
    ]) {
      expect(await nonPublicUrlProblem(url), url).toBe(REFUSED)
    }
    expect(await nonPublicUrlProblem('https://93.184.215.14/hooks')).toBeUndefined()
    expect(await nonPublicUrlProblem('https://[2606:4700:4700::1111]/hooks')).toBeUndefined()
    expect(await nonPublicUrlProblem('https://hooks.invalid/in')).toBe('URL host hooks.invalid does not resolve')
  })

  describe('at connection time', () => {
    let server: Server
    let port: number
    let received = 0
    beforeAll(async () => {
      server = createServer((_req, res) => {
        received += 1
        res.end('ok')
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    const get = (url: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(url, { lookup: guardedLookup as never }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
        req.on('error', reject)
        req.end()
      })

    it('when a name resolves to a non-public address, then guardedLookup refuses the connection before it is made', async () => {
      const before = received
      const error = await get(`http://localhost:${port}/`).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(BlockedAddressError)
      expect((error as BlockedAddressError).code).toBe('EBLOCKEDADDRESS')
      expect((error as Error).message).toMatch(/^localhost resolves to the non-public address (127\.0\.0\.1|::1)$/)
      expect(received).toBe(before)
    })

    it('when the host is an IP literal, then Node does not call lookup: the caller must check it with isNonPublicAddress', async () => {
      // Why the dispatcher checks IP literals itself: the guard alone would let this through.
      expect(await get(`http://127.0.0.1:${port}/`)).toBe(200)
      expect(isNonPublicAddress('127.0.0.1')).toBe(true)
    })

    it('when a name does not resolve, then guardedLookup passes the DNS error on', async () => {
      const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
        guardedLookup('hooks.invalid', {}, (e) => resolve(e)),
      )
      expect(error?.code).toMatch(/^(ENOTFOUND|EAI_AGAIN)$/)
    })
  })
})

describe('webhook secrets', () => {
  it('when secrets are generated, then each is whsec_ + base64 of 32 random bytes, and its key is those bytes', () => {
    const secrets = Array.from({ length: 20 }, generateSecret)
    expect(new Set(secrets).size).toBe(20)
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
      expect(secretKey(secret)).toEqual(Buffer.from(secret.slice(6), 'base64'))
      expect(secretKey(secret)).toHaveLength(32)
    }
  })

  it('when a payload is signed, then the header matches the Standard Webhooks reference vector', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const header = signatureHeader([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')
    expect(header).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=')
  })

  it('when two secrets sign (after a rotation), then the header has both signatures, space-separated, in order', () => {
    const [current, previous] = [generateSecret(), generateSecret()]
    const both = signatureHeader([current, previous], 'evt_1', 1700000000, '{}')
    expect(both).toBe(
      `${signatureHeader([current], 'evt_1', 1700000000, '{}')} ${signatureHeader([previous], 'evt_1', 1700000000, '{}')}`,
    )
    expect(both.split(' ')).toHaveLength(2)
  })

  it('when a secret is sealed under a key, then the stored text hides it, differs every time, and opens only with that key', () => {
    const secret = generateSecret()
    const key = encryptionKey('a-long-random-string-kept-outside-the-database')
    const sealed = sealSecret(secret, key)
    expect(sealed.startsWith('enc:v1:')).toBe(true)
    expect(sealed).not.toContain(secret.slice(6))
    expect(sealSecret(secret, key)).not.toBe(sealed)
    expect(openSecret(sealed, key)).toBe(secret)

    expect(() => openSecret(sealed, encryptionKey('another-key-entirely-000000000000'))).toThrow(SecretUnavailableError)
    expect(() => openSecret(sealed, undefined)).toThrow(SecretUnavailableError)
    const tampered = sealed.slice(0, -4) + (sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA')
    expect(() => openSecret(tampered, key)).toThrow(SecretUnavailableError)
    expect(() => openSecret('enc:v1:AAAA', key)).toThrow(SecretUnavailableError)
  })

  it('when no key is set, then secrets are stored and read as they are, and a plain secret still opens once a key is set', () => {
    const secret = generateSecret()
    expect(encryptionKey('')).toBeUndefined()
    expect(sealSecret(secret, undefined)).toBe(secret)
    expect(openSecret(secret, undefined)).toBe(secret)
    expect(openSecret(secret, encryptionKey('introduced-later-0000000000000000'))).toBe(secret)
  })
})
