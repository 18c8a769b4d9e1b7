import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { trackChild } from './cleanup'
import { type Engine, requireBinaries } from './find-valkey'

const READY_LINE = /Ready to accept connections/
const START_TIMEOUT_MS = 15_000

/**
 * One server process (`valkey-server` or `redis-server`) with its config file in `dir`; can be
 * paused, killed and restarted on the same port.
 */
export class ServerProcess {
  private child: ChildProcess | undefined
  private log = ''

  readonly dir: string
  readonly port: number
  /** The engine whose server it runs; the constructor's default is `'valkey'`. */
  readonly engine: Engine
  private readonly configFile: string

  constructor(dir: string, port: number, configLines: string[], engine: Engine = 'valkey') {
    this.dir = dir
    this.port = port
    this.engine = engine
    this.configFile = join(dir, `${engine}.conf`)
    writeFileSync(this.configFile, `${configLines.join('\n')}\n`)
  }

  /** The version of the engine's binary, for example `'8.0.1'` or `'7.0.15'`. */
  get version(): string {
    return requireBinaries(this.engine).version
  }

  get pid(): number | undefined {
    return this.child?.pid
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Starts the process and resolves once it accepts connections. */
  async start(): Promise<void> {
    const { server } = requireBinaries(this.engine)
    const name = `${this.engine}-server`
    this.log = ''
    const child = spawn(server, [this.configFile], {
      cwd: this.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    trackChild(child)
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`${name} on port ${this.port} did not start`)),
        START_TIMEOUT_MS,
      )
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString()
        if (READY_LINE.test(this.log)) done()
      }
      const onExit = (code: number | null) => fail(new Error(`${name} exited with ${code}`))
      const cleanup = () => {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        child.off('exit', onExit)
      }
      const done = () => {
        cleanup()
        // Keep draining output so a chatty server never blocks on a full pipe.
        child.stdout?.resume()
        resolve()
      }
      const fail = (error: Error) => {
        cleanup()
        child.kill('SIGKILL')
        reject(new Error(`${error.message}\n--- ${name} log ---\n${this.log}`))
      }
      child.stdout?.on('data', onData)
      child.stderr?.on('data', (chunk: Buffer) => {
        this.log += chunk.toString()
      })
      child.once('exit', onExit)
    })
  }

  /** SIGSTOP: the process keeps its sockets open but answers nothing, like a hung node. */
  pause(): void {
    this.child?.kill('SIGSTOP')
  }

  resume(): void {
    this.child?.kill('SIGCONT')
  }

  /** Ends the process (SIGKILL by default, like a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child
    if (!child || !this.running) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGCONT')
    child.kill(signal)
    await exited
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** What the server printed so far (for diagnosing failures). */
  output(): string {
    return this.log
  }
}
