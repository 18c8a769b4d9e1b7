/**
 * Concurrent calls with one key share one execution in this process. A call joins a running one only
 * when both began under the same `epoch`; a call under a newer epoch starts its own (see `ReadThrough`).
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, { epoch: number; promise: Promise<T> }>()

  run(key: string, epoch: number, fn: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key)
    if (running && running.epoch === epoch) return running.promise
    const flight = {
      epoch,
      promise: fn().finally(() => {
        // A newer flight may have replaced this one meanwhile.
        if (this.inflight.get(key) === flight) this.inflight.delete(key)
      }),
    }
    this.inflight.set(key, flight)
    return flight.promise
  }
}
