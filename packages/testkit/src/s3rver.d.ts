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
    /** The filesystem store (see `s3-atomic.ts` for the part used). */
    readonly store: unknown
    run(): Promise<AddressInfo>
    close(): Promise<void>
  }
}
