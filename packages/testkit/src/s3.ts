/// <reference path="./s3rver.d.ts" />
import { S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'
import { makeTempDir, removeTempDir } from './cleanup'
import { makeObjectWritesAtomic } from './s3-atomic'

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string
  readonly port: number
  /** A bucket that exists from the start. */
  readonly bucket: string
  /** A ready client: path-style, dummy credentials, region `us-east-1`. */
  readonly client: S3Client
  /** Another client for the same server (each client has its own connection pool and middleware). */
  newClient(): S3Client
  stop(): Promise<void>
}

/** An S3Client for an s3rver endpoint: path-style, dummy credentials, region `us-east-1`. */
export function s3rverClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
}

/** Starts an S3-compatible server (s3rver) in this process on a free loopback port, with a fresh directory. */
export async function startS3(options: { bucket?: string; extraBuckets?: string[] } = {}): Promise<S3Server> {
  const bucket = options.bucket ?? 'test-bucket'
  const directory = makeTempDir('s3')
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [bucket, ...(options.extraBuckets ?? [])].map((name) => ({ name })),
  })
  makeObjectWritesAtomic(server.store as Parameters<typeof makeObjectWritesAtomic>[0])
  const { port } = await server.run()
  const endpoint = `http://127.0.0.1:${port}`
  const clients: S3Client[] = []
  const newClient = () => {
    const client = s3rverClient(endpoint)
    clients.push(client)
    return client
  }
  return {
    endpoint,
    port,
    bucket,
    client: newClient(),
    newClient,
    async stop() {
      for (const client of clients) client.destroy()
      await server.close()
      removeTempDir(directory)
    },
  }
}

/** Counts the commands an S3Client sends, by name (`GetObjectCommand`, ...). */
export interface S3CallCounter {
  count(commandName: string): number
  total(): number
  reset(): void
}

/** Adds a counting middleware to `client`. */
export function countS3Calls(client: S3Client): S3CallCounter {
  const counts = new Map<string, number>()
  client.middlewareStack.add(
    (next, context) => (args) => {
      const name = context.commandName ?? 'unknown'
      counts.set(name, (counts.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'testkitCallCounter' },
  )
  return {
    count: (name) => counts.get(name) ?? 0,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
  }
}
