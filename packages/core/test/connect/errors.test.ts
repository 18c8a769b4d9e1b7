import { startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createValkeyClient } from '../../src/connect/create-client'
import { rememberSecret, scrub, toValkeyError } from '../../src/connect/errors'
import type { ValkeyClient } from '../../src/connect/options'
import { ValkeyAuthError, ValkeyConnectionError } from '../../src/errors'
import { everythingIn } from './helpers'

const reply = (message: string, command?: { name: string; args: unknown[] }) =>
  Object.assign(new Error(message), { name: 'ReplyError', ...(command ? { command } : {}) })

describe('toValkeyError', () => {
  it('maps WRONGPASS to ValkeyAuthError naming the user from the AUTH command, without its password', () => {
    const raw = reply('WRONGPASS invalid username-password pair or user is disabled.', {
      name: 'auth',
      args: ['app', 'pa55word-in-args'],
    })
    const error = toValkeyError(raw) as ValkeyAuthError
    expect(error).toBeInstanceOf(ValkeyAuthError)
    expect(error.username).toBe('app')
    expect(error.message).toContain('"app"')
    expect(everythingIn(error)).not.toContain('pa55word-in-args')
  })

  it('names the missing command of a NOPERM, also inside a script', () => {
    const direct = toValkeyError(
      reply("NOPERM User app has no permissions to run the 'evalsha' command"),
    ) as ValkeyAuthError
    expect(direct).toMatchObject({ username: 'app', permission: '+evalsha' })
    expect(direct.message).toMatch(/User "app" lacks the ACL permission \+evalsha/)
    const scripted = toValkeyError(
      reply(
        "ERR ACL failure in script: User app has no permissions to run the 'setrange' command script: abc, on @user_script:1.",
      ),
    ) as ValkeyAuthError
    expect(scripted).toMatchObject({ username: 'app', permission: '+setrange' })
    expect(scripted.message).toMatch(/inside a Lua script/)
    const sub = toValkeyError(reply("NOPERM User app has no permissions to run the 'cluster|slots' command"))
    expect(sub).toMatchObject({ permission: '+cluster|slots' })
  })

  it('names the key of a key NOPERM when the command shows it', () => {
    const error = toValkeyError(
      reply('NOPERM No permissions to access a key', { name: 'get', args: ['other:a'] }),
      'app',
    )
    expect(error).toMatchObject({ username: 'app', permission: '~other:a' })
    expect(error.message).toMatch(/may not access key "other:a".*~s3c:\*/)
    const script = toValkeyError(
      reply('NOPERM No permissions to access one of the keys used as arguments', {
        name: 'evalsha',
        args: ['sha', '1', 'x:{a}', 'body'],
      }),
    )
    expect(script).toMatchObject({ permission: '~x:{a}' })
  })

  it('explains TLS mismatches and rejected certificates', () => {
    const wrongVersion = Object.assign(new Error('SSL routines::wrong version number'), {
      code: 'ERR_SSL_WRONG_VERSION_NUMBER',
    })
    expect(toValkeyError(wrongVersion).message).toMatch(/does not seem to serve TLS/)
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    })
    expect(toValkeyError(untrusted)).toBeInstanceOf(ValkeyConnectionError)
    expect(toValkeyError(untrusted).message).toMatch(/tls\.ca/)
    expect(toValkeyError(new Error('Protocol error, got "\\u0015" as reply type byte')).message).toMatch(
      /requires TLS/,
    )
  })

  it('unwraps a cluster-wide failure to the last node error', () => {
    const last = reply('WRONGPASS invalid username-password pair or user is disabled.')
    const all = Object.assign(new Error('Failed to refresh slots cache.'), { lastNodeError: last })
    expect(toValkeyError(all, 'app')).toBeInstanceOf(ValkeyAuthError)
  })

  it('scrubs remembered secrets, SigV4 signatures and URL passwords from any message', () => {
    rememberSecret('remembered-secret-1')
    const raw = new Error(
      'boom remembered-secret-1 at valkey://app:urlpass@h c/?X-Amz-Signature=abc123&X-Amz-Security-Token=tok&X=1',
    )
    const mapped = toValkeyError(raw)
    expect(mapped.message).not.toMatch(/remembered-secret-1|urlpass|abc123|tok&/)
    expect(scrub('X-Amz-Credential=AKID/20240101/r/elasticache/aws4_request')).toBe('X-Amz-Credential=***')
  })

  it('passes other errors through unchanged', () => {
    const timeout = new Error('Command timed out')
    expect(toValkeyError(timeout)).toBe(timeout)
    expect(toValkeyError('text')).toBeInstanceOf(Error)
  })
})

describe('toValkeyError with a real server', () => {
  let server: ValkeyServer
  let client: ValkeyClient
  beforeAll(async () => {
    server = await startValkey({ acl: { commands: '+info +get +eval' } })
    client = await createValkeyClient(server.url)
  })
  afterAll(async () => {
    client.disconnect()
    await server.stop()
  })

  const mapped = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (e: unknown) => toValkeyError(e, 'app'),
    )

  it('names the command Valkey refused', async () => {
    expect(await mapped(client.set('s3c:a', '1'))).toMatchObject({ username: 'app', permission: '+set' })
    expect(await mapped(client.eval("return redis.call('DEL', KEYS[1])", 1, 's3c:a'))).toMatchObject({
      permission: '+del',
    })
  })

  it('names the key outside the prefix', async () => {
    expect(await mapped(client.get('other:key'))).toMatchObject({ permission: '~other:key' })
  })
})
