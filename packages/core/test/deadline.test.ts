import { describe, expect, it } from 'vitest'
import { SharedDeadline } from '../src/deadline'

class Late extends Error {}

describe('SharedDeadline', () => {
  it('rejects only the calls still pending at their deadline, with one timer for all of them', async () => {
    const deadline = new SharedDeadline(30, () => new Late('late'))
    const realSetTimeout = globalThis.setTimeout
    let timers = 0
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timers++
      return realSetTimeout(...args)
    }) as typeof setTimeout
    const never = new Promise<string>(() => {})
    try {
      const answered = Array.from({ length: 100 }, (_, i) => deadline.bound(Promise.resolve(i)))
      const hanging = Array.from({ length: 100 }, () => deadline.bound(never))
      const failing = deadline.bound(Promise.reject(new Error('own error')))
      expect(await Promise.all(answered)).toEqual(Array.from({ length: 100 }, (_, i) => i))
      await expect(failing).rejects.toThrow('own error')
      const results = await Promise.allSettled(hanging)
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof Late)).toBe(true)
    } finally {
      globalThis.setTimeout = realSetTimeout
    }
    // One timer for the burst (a second only if the calls' deadlines spread over more than a millisecond).
    expect(timers).toBeLessThanOrEqual(2)
  })

  it('keeps working after the queue drained: a later call is bounded again', async () => {
    const deadline = new SharedDeadline(20, () => new Late('late'))
    await deadline.bound(Promise.resolve('first'))
    await expect(deadline.bound(new Promise(() => {}))).rejects.toBeInstanceOf(Late)
    // A call that settles after its deadline changes nothing: the caller already has the timeout.
    let settle: (value: string) => void = () => {}
    const slow = deadline.bound(new Promise<string>((resolve) => (settle = resolve)))
    await expect(slow).rejects.toBeInstanceOf(Late)
    settle('too late')
    await expect(deadline.bound(Promise.resolve('again'))).resolves.toBe('again')
  })
})
