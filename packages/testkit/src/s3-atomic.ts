import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/** The parts of s3rver's filesystem store this module wraps (see node_modules/s3rver/lib/stores/filesystem.js). */
interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>
  putObject(object: { bucket: string; key: string; content: unknown; metadata: unknown }): Promise<unknown>
  getObject(bucket: string, key: string, options?: unknown): Promise<unknown>
  deleteObject(bucket: string, key: string): Promise<unknown>
}

/** One operation at a time per object key, in call order. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>()

  async with<T>(key: string, run: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    let release: () => void = () => {}
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = before.then(() => mine)
    this.tails.set(key, tail)
    await before
    try {
      return await run()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}

/**
 * Makes s3rver's objects change atomically, as S3's do: s3rver rewrites an object's file in place and
 * its metadata in a second file, so a GET during a PUT could read a torn body, or a new body with the
 * old ETag. Here a PUT streams into a temporary file without holding anything, then renames it and
 * writes the metadata while it holds the object's lock; a GET reads the metadata and opens the body
 * under the same lock (an open file keeps reading the version it opened, whatever is renamed over it).
 * (`getMetadata` alone, a HEAD, is left as it is: s3rver's GET calls it from inside the lock.)
 */
export function makeObjectWritesAtomic(store: FilesystemStore): void {
  const locks = new KeyLocks()
  const lockKey = (bucket: string, key: string) => `${bucket}\0${key}`
  const getObject = store.getObject.bind(store)
  const deleteObject = store.deleteObject.bind(store)
  const putMetadata = store.putMetadata.bind(store)
  const putObject = store.putObject.bind(store)

  store.getObject = (bucket, key, options) =>
    locks.with(lockKey(bucket, key), () => getObject(bucket, key, options))
  store.deleteObject = (bucket, key) => locks.with(lockKey(bucket, key), () => deleteObject(bucket, key))
  store.putObject = async (object) => {
    const { bucket, key } = object
    if (Buffer.isBuffer(object.content)) {
      return locks.with(lockKey(bucket, key), () => putObject(object))
    }
    const finalPath = store.getResourcePath(bucket, key, 'object')
    await mkdir(dirname(finalPath), { recursive: true })
    const temporary = `${finalPath}.${randomBytes(6).toString('hex')}.upload`
    const md5 = createHash('md5')
    let size = 0
    await pipeline(
      object.content as NodeJS.ReadableStream,
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          md5.update(chunk)
          size += chunk.length
          callback(null, chunk)
        },
      }),
      createWriteStream(temporary),
    )
    const digest = md5.digest('hex')
    await locks.with(lockKey(bucket, key), async () => {
      await rename(temporary, finalPath)
      await putMetadata(bucket, key, object.metadata, digest)
    })
    return { size, md5: digest }
  }
}
