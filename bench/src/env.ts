import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { type S3Server, startS3, startValkey, type ValkeyServer } from '@valkey-s3-cache/testkit'
import type { Redis } from 'iovalkey'
import { cpuPlan, describePlan } from './cpu-pinning'
import { type BenchDoc, makeDoc } from './payload'

/** What a contender needs to reach the servers; plain data, so child processes can rebuild it. */
export interface Endpoints {
  valkeyHost: string
  valkeyPort: number
  s3Endpoint: string
  bucket: string
}

/** The servers of one benchmark run: one standalone valkey-server, one S3 server. */
export interface BenchEnv {
  endpoints: Endpoints
  valkey: ValkeyServer
  s3: S3Server
  /** Admin connection for FLUSHALL, INFO, MEMORY USAGE (not used by any contender). */
  admin: Redis
  docs: BenchDoc[]
  valkeyVersion: string
  stop(): Promise<void>
}

export const BUCKET = 'bench-bucket'

/** An S3 client for the local server (same settings as the testkit's). */
export function s3ClientFor(endpoints: Endpoints): S3Client {
  return new S3Client({
    endpoint: endpoints.s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  })
}

export async function startEnv(sizesKiB: number[]): Promise<BenchEnv> {
  // The testkit's config already turns persistence off (no snapshot or AOF noise).
  const valkey = await startValkey()
  const s3 = await startS3({ bucket: BUCKET })
  const admin = await valkey.adminClient()
  const endpoints: Endpoints = {
    valkeyHost: '127.0.0.1',
    valkeyPort: valkey.port,
    s3Endpoint: s3.endpoint,
    bucket: BUCKET,
  }
  const docs = sizesKiB.map(makeDoc)
  await Promise.all(docs.map((doc) => putDoc(s3.client, doc.key, doc.json)))
  const server = await admin.info('server')
  const valkeyVersion =
    /^valkey_version:(\S+)/m.exec(server)?.[1] ?? /^redis_version:(\S+)/m.exec(server)?.[1]
  return {
    endpoints,
    valkey,
    s3,
    admin,
    docs,
    valkeyVersion: valkeyVersion ?? 'unknown',
    async stop() {
      await s3.stop()
      await valkey.stop()
    },
  }
}

export async function putDoc(client: S3Client, key: string, json: string): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: json, ContentType: 'application/json' }),
  )
}

export interface Machine {
  cpuModel: string
  cores: number
  memoryGiB: number
  freeMemoryGiB: number
  os: string
  node: string
  valkey: string
  /** 1-minute load average when the run began: other work on the machine shows here. */
  loadAverageStart: number
  /** Where the one-process-per-contender scenarios put valkey-server and the contenders (see cpu-pinning.ts). */
  cpuPinning?: string
}

export function describeMachine(valkeyVersion: string): Machine {
  const list = cpus()
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
    valkey: valkeyVersion,
    loadAverageStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    cpuPinning: describePlan(cpuPlan()),
  }
}
