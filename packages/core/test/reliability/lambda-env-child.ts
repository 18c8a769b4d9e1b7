// The function side of the freeze/thaw harness (see lambda-env.ts): one process that holds a cache for
// its whole life, as a Lambda execution environment does, and answers invocations sent over IPC.
import { readFileSync } from 'node:fs'
import { countS3Calls, s3rverClient } from '@valkey-s3-cache/testkit'
import { createS3Cache, type S3CacheOptions, type ValkeyConnectionOptions } from '../../src'
import type { ChildConfig, Invocation, InvocationResult } from './lambda-env'

const config = JSON.parse(process.env.LAMBDA_ENV_CONFIG as string) as ChildConfig

const s3 = s3rverClient(config.s3Endpoint)
const s3Calls = countS3Calls(s3)
const errors: string[] = []

// A secret store stand-in: the file holds the current user and password, read at every connection.
const { credentialsFile, ...connection } = config.valkey
const valkey: ValkeyConnectionOptions = credentialsFile
  ? { ...connection, credentials: () => JSON.parse(readFileSync(credentialsFile, 'utf8')) }
  : connection

const cache = createS3Cache({
  s3,
  bucket: config.bucket,
  valkey,
  ...(config.cache as Partial<S3CacheOptions>),
  onEvent: (event) => {
    if (event.type === 'error') errors.push(`${event.operation}: ${event.error.message}`)
  },
})

async function handle(invocation: Invocation): Promise<Omit<InvocationResult, 's3Calls' | 'errors'>> {
  const started = performance.now()
  const object = await cache.get(invocation.key)
  const ms = performance.now() - started
  return { value: new TextDecoder().decode(object.body), status: object.status, ms }
}

// Lambda sends SIGTERM before shutting down an environment that has an extension: close, then exit.
process.on('SIGTERM', async () => {
  await cache.close()
  process.exit(0)
})

process.on('message', async (invocation: Invocation) => {
  const before = { s3: s3Calls.count('GetObjectCommand'), errors: errors.length }
  let result: InvocationResult
  try {
    const answer = await handle(invocation)
    result = {
      ...answer,
      s3Calls: s3Calls.count('GetObjectCommand') - before.s3,
      errors: errors.slice(before.errors),
    }
  } catch (error) {
    result = {
      failure: `${(error as Error).name}: ${(error as Error).message}`,
      s3Calls: s3Calls.count('GetObjectCommand') - before.s3,
      errors: errors.slice(before.errors),
    }
  }
  process.send?.({ id: invocation.id, result })
})

process.send?.({ ready: true })
