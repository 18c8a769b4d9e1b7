import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import type { S3Client } from '@aws-sdk/client-s3'
import { makeTempDir, s3rverClient } from '@valkey-s3-cache/testkit'

/**
 * s3rver signs its ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 only has
 * behind `--openssl-legacy-provider`: the in-process test server cannot list past one page. This
 * one runs in a child process with that flag, so pagination is tested against a real server.
 */
export async function startPagingS3(bucket = 'paged'): Promise<{
  bucket: string
  newClient(): S3Client
  stop(): Promise<void>
}> {
  const script = `
    const S3rver = require('s3rver')
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.argv[1],
      configureBuckets: [{ name: process.argv[2] }] })
    server.run().then(({ port }) => console.log(port))`
  const child: ChildProcess = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', script, makeTempDir('paging-s3'), bucket],
    { cwd: new URL('../../../testkit/', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const [line] = (await once(child.stdout as NonNullable<ChildProcess['stdout']>, 'data')) as [Buffer]
  const endpoint = `http://127.0.0.1:${Number(line.toString().trim())}`
  const clients: S3Client[] = []
  return {
    bucket,
    newClient() {
      const client = s3rverClient(endpoint)
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients) client.destroy()
      child.kill()
      await once(child, 'exit')
    },
  }
}
