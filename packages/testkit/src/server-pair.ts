import { type S3Server, startS3 } from './s3'
import { startValkey, type ValkeyServer } from './valkey'

/**
 * A real S3 server (with its bucket) and a real valkey-server for one test file: the test's
 * `beforeAll` calls `start()`, its `afterAll` calls `stop()`. The getters fail with a clear message
 * when read before `start()`, instead of on `undefined`. No vitest import here: the demo and the
 * benchmarks import this package too.
 */
export class ServerPair {
  private started: { s3: S3Server; valkey: ValkeyServer } | undefined
  private readonly s3Options: Parameters<typeof startS3>[0]

  constructor(s3Options?: Parameters<typeof startS3>[0]) {
    this.s3Options = s3Options
  }

  async start(): Promise<void> {
    const [s3, valkey] = await Promise.all([startS3(this.s3Options), startValkey()])
    this.started = { s3, valkey }
  }

  async stop(): Promise<void> {
    await Promise.all([this.started?.s3.stop(), this.started?.valkey.stop()])
  }

  get s3(): S3Server {
    return this.ready().s3
  }

  /** `s3.bucket`, the bucket the caches read. */
  get bucket(): string {
    return this.ready().s3.bucket
  }

  get valkey(): ValkeyServer {
    return this.ready().valkey
  }

  private ready() {
    if (!this.started) throw new Error('ServerPair: the servers are started in beforeAll (call start())')
    return this.started
  }
}
