// s3rver ships no types; this is the part of its API the testkit uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net'

  interface S3rverOptions {
    address?: string
    port?: number
    silent?: boolean
    directory: string
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[]
    allowMismatchedSignatures?: boolean
    vhostBuckets?: boolean
  }
  export default class S3rver {
    constructor(options: S3rverOptions)
    run(): Promise<AddressInfo>
    close(): Promise<void>
  }
}
