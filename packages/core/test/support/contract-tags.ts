import { expect, it } from 'vitest'
import { CacheConfigError, InvalidKeyError, invalidateFromS3Event, type WrapLoaderContext } from '../../src'
import type { EventContractContext } from './contract-events'
import { nextSequencer, notification } from './events'
import { putRaw, type TestCache, uniqueKey } from './harness'

/** A promise to settle from outside, for holding a loader at a chosen point. */
function gate() {
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

/** A `wrap` whose loader counts its runs, so a test can tell a stored value from a recomputed one. */
function counted(made: TestCache, key: string, loader: (context: WrapLoaderContext) => Promise<unknown>) {
  const counter = { runs: 0, key }
  const read = (cache = made) =>
    cache.cache.wrap(key, (context) => {
      counter.runs++
      return loader(context) as Promise<Record<string, unknown>>
    })
  return Object.assign(counter, { read })
}

/** Tags and dependencies through each store: removal by tag, entries built from objects, and their races. */
export function tagsContract({ s3, cacheWith, peerOf }: EventContractContext) {
  it('invalidateTags removes the put and wrap entries carrying a tag, in another process, and no others', async () => {
    const writer = cacheWith()
    const reader = peerOf(writer)
    const [tag, other] = [uniqueKey('tag'), uniqueKey('other-tag')]
    const [object, untagged] = [uniqueKey('tagged-object'), uniqueKey('untagged')]
    await writer.cache.put(object, '{"v":1}', { tags: [tag] })
    await writer.cache.put(untagged, '{"u":1}', { tags: [other] })
    const optionKey = uniqueKey('wrap-options')
    let optionRuns = 0
    const viaOptions = () =>
      reader.cache.wrap(
        optionKey,
        () => {
          optionRuns++
          return { w: 1 }
        },
        { tags: [tag, other] },
      )
    const viaSetTags = counted(writer, uniqueKey('wrap-set-tags'), async ({ setTags }) => {
      setTags([tag])
      return { s: 1 }
    })
    await viaOptions()
    await viaSetTags.read()
    expect((await reader.cache.get(object)).status).toBe('hit')
    expect(await viaOptions()).toEqual({ w: 1 })
    expect(await viaSetTags.read(reader)).toEqual({ s: 1 })
    expect([optionRuns, viaSetTags.runs]).toEqual([1, 1])

    expect(await writer.cache.invalidateTags([tag])).toBe(3)
    expect((await reader.cache.get(object)).status).toBe('miss')
    await viaOptions()
    await viaSetTags.read(reader)
    expect([optionRuns, viaSetTags.runs]).toEqual([2, 2])
    // Another tag's entry stays.
    expect((await reader.cache.get(untagged)).status).toBe('hit')
    // A tag nobody carries removes nothing.
    expect(await writer.cache.invalidateTags([uniqueKey('nobody')])).toBe(0)
  })

  it("put's tags stay with the object in S3: the entry a process loads again still carries them", async () => {
    const writer = cacheWith()
    const reader = peerOf(writer)
    const [key, tag] = [uniqueKey('kept-tags'), uniqueKey('kept')]
    await writer.cache.put(key, '{"v":1}', { tags: [tag, 'a,b %/ü'], metadata: { owner: 'me' } })
    await writer.cache.invalidate(key)
    const loaded = await reader.cache.get(key)
    expect(loaded.status).toBe('miss')
    expect(loaded.metadata.owner).toBe('me')
    expect(await writer.cache.invalidateTags(['a,b %/ü'])).toBe(1)
    expect((await reader.cache.get(key)).status).toBe('miss')
    expect(await writer.cache.invalidateTags([tag])).toBe(1)
    expect((await reader.cache.get(key)).status).toBe('miss')
  })

  for (const when of ['options', 'setTags'] as const) {
    it(`a wrap load tagged by ${when} does not store its value when its tag is invalidated while it runs`, async () => {
      const made = cacheWith()
      const peer = peerOf(made)
      const [tag, unrelated] = [uniqueKey('racing-tag'), uniqueKey('unrelated')]
      const run = async (invalidated: string) => {
        const key = uniqueKey('racing-value')
        const started = gate()
        const proceed = gate()
        const pending = made.cache.wrap(
          key,
          async ({ setTags }) => {
            started.open()
            await proceed.opened
            // Learned late, after the invalidation: the tag log still tells the load it raced.
            if (when === 'setTags') setTags([tag])
            return { v: 'old' }
          },
          when === 'options' ? { tags: [tag] } : {},
        )
        await started.opened
        await peer.cache.invalidateTags([invalidated])
        proceed.open()
        expect(await pending).toEqual({ v: 'old' })
        let runs = 0
        const again = await peer.cache.wrap(key, () => {
          runs++
          return { v: 'new' }
        })
        return { again, runs }
      }
      // The same race over an unrelated tag stores the value: the check tells the two apart.
      expect(await run(unrelated)).toEqual({ again: { v: 'old' }, runs: 0 })
      expect(await run(tag)).toEqual({ again: { v: 'new' }, runs: 1 })
    })
  }

  it('a wrap value built from objects read through its loader cache follows them: put, invalidate, S3 event, tag', async () => {
    const builder = cacheWith()
    const writer = peerOf(builder)
    const [objectA, objectB, tag] = [uniqueKey('dep-a'), uniqueKey('dep-b'), uniqueKey('dep-tag')]
    await putRaw(s3(), objectA, '{"a":1}')
    await writer.cache.put(objectB, '{"b":1}', { tags: [tag] })
    const view = counted(builder, uniqueKey('built'), async ({ cache }) => ({
      a: await cache.getJson(objectA),
      b: await cache.getText(objectB),
    }))
    expect(await view.read()).toEqual({ a: { a: 1 }, b: '{"b":1}' })
    expect(await view.read(writer)).toEqual({ a: { a: 1 }, b: '{"b":1}' })
    expect(view.runs).toBe(1)

    await writer.cache.put(objectA, '{"a":2}')
    expect(await view.read()).toEqual({ a: { a: 2 }, b: '{"b":1}' })
    expect(view.runs).toBe(2)

    await putRaw(s3(), objectA, '{"a":3}')
    await writer.cache.invalidate(objectA)
    expect(await view.read()).toEqual({ a: { a: 3 }, b: '{"b":1}' })
    expect(view.runs).toBe(3)

    await putRaw(s3(), objectA, '{"a":4}')
    const event = notification({ bucket: s3().bucket, key: objectA, sequencer: nextSequencer() })
    expect((await invalidateFromS3Event(writer.cache, event)).applied).toBe(1)
    expect(await view.read()).toEqual({ a: { a: 4 }, b: '{"b":1}' })
    expect(view.runs).toBe(4)

    // The tag removes objectB, and with it what was built from it.
    await putRaw(s3(), objectB, '{"b":2}')
    expect(await writer.cache.invalidateTags([tag])).toBe(2)
    expect(await view.read()).toEqual({ a: { a: 4 }, b: '{"b":2}' })
    expect(view.runs).toBe(5)
    expect(await view.read(writer)).toEqual({ a: { a: 4 }, b: '{"b":2}' })
    expect(view.runs).toBe(5)
  })

  it('a wrap value whose object changes while it is being built is served but not stored', async () => {
    const builder = cacheWith()
    const writer = peerOf(builder)
    const object = uniqueKey('changing')
    await putRaw(s3(), object, '{"v":1}')
    const read = gate()
    const proceed = gate()
    const key = uniqueKey('built-while-changing')
    const pending = builder.cache.wrap(key, async ({ cache }) => {
      const value = await cache.getJson(object)
      read.open()
      await proceed.opened
      return { built: value }
    })
    await read.opened
    await writer.cache.put(object, '{"v":2}')
    proceed.open()
    expect(await pending).toEqual({ built: { v: 1 } })
    let runs = 0
    const again = await writer.cache.wrap(key, async ({ cache }) => {
      runs++
      return { built: await cache.getJson(object) }
    })
    expect({ again, runs }).toEqual({ again: { built: { v: 2 } }, runs: 1 })
  })

  it('a value built from another value that could not be stored (its object changed) is not stored either', async () => {
    const builder = cacheWith()
    const writer = peerOf(builder)
    const object = uniqueKey('nested-object')
    const [outerKey, innerKey] = [uniqueKey('outer'), uniqueKey('inner')]
    await writer.cache.put(object, '{"a":1}')
    const read = gate()
    const proceed = gate()
    const inner = (reads: WrapLoaderContext['cache'], hold: boolean) =>
      reads.wrap(innerKey, async ({ cache }) => {
        const a = await cache.getJson(object)
        if (hold) {
          read.open()
          await proceed.opened
        }
        return { a }
      })
    const outer = builder.cache.wrap(outerKey, async ({ cache }) => ({ inner: await inner(cache, true) }))
    await read.opened
    await writer.cache.put(object, '{"a":2}')
    proceed.open()
    expect(await outer).toEqual({ inner: { a: { a: 1 } } })
    let runs = 0
    const again = await writer.cache.wrap(outerKey, async ({ cache }) => {
      runs++
      return { inner: await inner(cache, false) }
    })
    expect({ again, runs }).toEqual({ again: { inner: { a: { a: 2 } } }, runs: 1 })
  })

  it('a change removes a chain of values built from values, however deep (here 8 levels)', async () => {
    const builder = cacheWith()
    const writer = peerOf(builder)
    const object = uniqueKey('chain-object')
    await writer.cache.put(object, '{"v":1}')
    const keys = Array.from({ length: 8 }, (_, level) => uniqueKey(`chain-${level}`))
    let runs = 0
    const level = (reads: WrapLoaderContext['cache'], at: number): Promise<unknown> =>
      reads.wrap(keys[at] as string, async ({ cache }) => {
        runs++
        return { at, below: at === 0 ? await cache.getJson(object) : await level(cache, at - 1) }
      })
    const top = () => level(builder.cache, keys.length - 1)
    const deepest = (value: unknown): unknown => {
      let at = value as { below: unknown; at: number }
      while (at.at > 0) at = at.below as { below: unknown; at: number }
      return at.below
    }
    expect(deepest(await top())).toEqual({ v: 1 })
    expect(deepest(await top())).toEqual({ v: 1 })
    expect(runs).toBe(8)
    await writer.cache.put(object, '{"v":2}')
    expect(deepest(await top())).toEqual({ v: 2 })
  })

  it('a caller that joins a load whose value could not be stored (its object changed) reads again', async () => {
    const builder = cacheWith()
    const writer = peerOf(builder)
    const object = uniqueKey('joined-object')
    const key = uniqueKey('joined-value')
    await writer.cache.put(object, '{"v":1}')
    const read = gate()
    const proceed = gate()
    const first = builder.cache.wrap(key, async ({ cache }) => {
      const a = await cache.getJson(object)
      read.open()
      await proceed.opened
      return { a }
    })
    await read.opened
    await writer.cache.put(object, '{"v":2}')
    // Begins after the change and joins the load that began before it.
    const second = builder.cache.wrap(key, async ({ cache }) => ({ a: await cache.getJson(object) }))
    proceed.open()
    expect(await first).toEqual({ a: { v: 1 } })
    expect(await second).toEqual({ a: { v: 2 } })
  })

  it('invalidateTags in this process clears its L1 of the removed entries at once', async () => {
    const made = cacheWith({ l1: { maxBytes: 1_000_000, ttl: '1m' } })
    const [tag, object] = [uniqueKey('l1-tag'), uniqueKey('l1-dep')]
    await putRaw(s3(), object, '{"v":1}')
    const tagged = counted(made, uniqueKey('l1-tagged'), async ({ setTags }) => {
      setTags([tag])
      return { t: 1 }
    })
    const built = counted(made, uniqueKey('l1-built'), async ({ cache }) => ({
      o: await cache.getJson(object),
    }))
    await tagged.read()
    await built.read()
    await tagged.read()
    await built.read()
    expect([tagged.runs, built.runs]).toEqual([1, 1])
    await made.cache.invalidateTags([tag])
    await made.cache.put(object, '{"v":2}')
    expect(await tagged.read()).toEqual({ t: 1 })
    expect(await built.read()).toEqual({ o: { v: 2 } })
    expect([tagged.runs, built.runs]).toEqual([2, 2])
  })

  it("this process's own change reaches its L1 when another process already took the link out of Valkey", async () => {
    const made = cacheWith({ l1: { maxBytes: 1_000_000, ttl: '1m' } })
    const other = peerOf(made)
    const [tag, object] = [uniqueKey('taken-tag'), uniqueKey('taken-dep')]
    await putRaw(s3(), object, '{"v":1}')
    const tagged = counted(made, uniqueKey('taken-tagged'), async () => ({ t: 1 }))
    const readTagged = () => made.cache.wrap(tagged.key, () => ({ t: ++tagged.runs }), { tags: [tag] })
    const built = counted(made, uniqueKey('taken-built'), async ({ cache }) => ({
      o: await cache.getJson(object),
    }))
    // Read from Valkey into L1 by a process that did not build them: it learns their links from the entry.
    const builder = peerOf(made)
    await builder.cache.wrap(tagged.key, () => ({ t: 0 }), { tags: [tag] })
    await built.read(builder)
    expect(await readTagged()).toEqual({ t: 0 })
    expect(await built.read()).toEqual({ o: { v: 1 } })
    // Another process removes both from Valkey (its L1 bound applies to the holder of L1 for that change)…
    await other.cache.invalidateTags([tag])
    await other.cache.invalidate(object)
    // …and then this process makes changes of its own: its next reads must see them.
    await made.cache.invalidateTags([tag])
    await made.cache.put(object, '{"v":2}')
    expect(await readTagged()).toEqual({ t: 1 })
    expect(await built.read()).toEqual({ o: { v: 2 } })
  })

  it('a tag holds at most maxDependents live entries: one more is served but not stored', async () => {
    const made = cacheWith({ maxDependents: 2 })
    const tag = uniqueKey('full')
    // A set that is full refuses the third entry, so a removal by tag never misses a stored one.
    const tagged = [0, 1, 2].map((i) =>
      counted(made, uniqueKey(`tagged-${i}`), async ({ setTags }) => {
        setTags([tag])
        return { i }
      }),
    )
    for (const value of tagged) {
      await value.read()
      await value.read()
    }
    expect(tagged.map((value) => value.runs)).toEqual([1, 1, 2])
    expect(await made.cache.invalidateTags([tag])).toBe(2)
  })

  it('refuses bad tags with typed errors before anything is written', async () => {
    const { cache } = cacheWith()
    const key = uniqueKey('bad-tags')
    await expect(cache.invalidateTags('tag' as unknown as string[])).rejects.toBeInstanceOf(CacheConfigError)
    await expect(cache.invalidateTags([''])).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(cache.put(key, 'x', { tags: ['ok', 'bad\uD800'] })).rejects.toBeInstanceOf(InvalidKeyError)
    await expect(
      cache.put(key, 'x', { tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }),
    ).rejects.toThrow(CacheConfigError)
    await expect(cache.wrap(key, () => 1, { tags: [42 as unknown as string] })).rejects.toBeInstanceOf(
      InvalidKeyError,
    )
    await expect(
      cache.wrap(key, ({ setTags }) => {
        setTags([''])
        return 1
      }),
    ).rejects.toBeInstanceOf(InvalidKeyError)
    expect(await cache.invalidateTags([])).toBe(0)
    await expect(cache.get(key)).rejects.toMatchObject({ statusCode: 404 })
  })
}
