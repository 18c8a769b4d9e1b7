// The runner's side of the workers: one child process each, calls over IPC, and freezes (SIGSTOP),
// which stop a worker in the middle of whatever it was doing, as Lambda freezes an environment.
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { LoaderRun, Reply, Request, WorkerMessage } from './protocol'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))

export class Worker {
  readonly index: number
  private readonly child: ChildProcess
  private nextId = 1
  private readonly waiting = new Map<number, (reply: Reply) => void>()
  private stderr = ''
  private frozen = 0
  private stopping = false
  /** Loader runs and error events reported by the worker, in order. */
  readonly runs: LoaderRun[] = []
  readonly events: string[] = []

  private constructor(index: number, child: ChildProcess) {
    this.index = index
    this.child = child
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000)
    })
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'reply') {
        this.waiting.get(message.reply.id)?.(message.reply)
        this.waiting.delete(message.reply.id)
      } else if (message.type === 'run') this.runs.push(message.run)
      else if (message.type === 'event') this.events.push(message.event)
    })
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.events.push(`worker ${index} exited (${code ?? signal}): ${this.stderr}`)
      for (const [id, resolve] of this.waiting) {
        resolve({
          id,
          start: 0,
          end: 0,
          error: { name: 'WorkerExit', message: `exited ${code ?? signal}: ${this.stderr}`, typed: false },
        })
      }
      this.waiting.clear()
    })
  }

  static async start(index: number): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    })
    const worker = new Worker(index, child)
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker ${index} exited with ${code}: ${worker.stderr}`)))
      child.on('message', (message: WorkerMessage) => {
        if (message.type === 'ready') resolve()
      })
    })
    return worker
  }

  call(request: Request): Promise<Reply> {
    const id = this.nextId++
    return new Promise((resolve) => {
      const gone = () =>
        resolve({
          id,
          start: 0,
          end: 0,
          error: { name: 'WorkerExit', message: 'the worker is gone', typed: false },
        })
      if (!this.alive) return gone()
      this.waiting.set(id, resolve)
      this.child.send({ id, request }, (error) => {
        if (error && this.waiting.delete(id)) gone()
      })
    })
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected
  }

  /** Stops the process for `ms` (freezes may overlap: it runs again when the last one ends). */
  async freeze(ms: number): Promise<void> {
    if (this.frozen++ === 0) this.child.kill('SIGSTOP')
    await new Promise((resolve) => setTimeout(resolve, ms))
    if (--this.frozen === 0) this.child.kill('SIGCONT')
  }

  /** Takes the runs and events reported so far. */
  drain(): { runs: LoaderRun[]; events: string[] } {
    return { runs: this.runs.splice(0), events: this.events.splice(0) }
  }

  async stop(): Promise<void> {
    this.stopping = true
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGCONT')
    this.child.kill('SIGKILL')
    await exited
  }
}
