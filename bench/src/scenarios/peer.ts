import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url))

/** What every child answers when a request threw. */
export interface Failed {
  type: 'failed'
  error: string
}

/**
 * One child process with request/answer messaging: each `ask` sends one message and resolves with
 * the next answer. tsx is the loader and bench/ the working directory, so the child's tsconfig paths
 * map the workspaces to their sources, as in this process.
 */
export class Peer<Ask, Answer extends { type: string }> {
  private readonly child: ChildProcess
  private readonly waiting: ((message: Answer | Failed) => void)[] = []

  constructor(script: string, options: { execArgv?: string[]; advanced?: boolean } = {}) {
    this.child = fork(script, [], {
      cwd: BENCH_DIR,
      execArgv: ['--import', 'tsx', ...(options.execArgv ?? [])],
      stdio: 'inherit',
      // Structured clone: typed arrays (latencies) cross as they are.
      serialization: options.advanced ? 'advanced' : 'json',
    })
    this.child.on('message', (message: Answer | Failed) => this.waiting.shift()?.(message))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  ask(message: Ask): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`child ${this.child.pid} exited (${code})`))
      this.child.once('exit', onExit)
      this.waiting.push((answer) => {
        this.child.off('exit', onExit)
        if (answer.type === 'failed') reject(new Error((answer as Failed).error))
        else resolve(answer as Answer)
      })
      this.child.send(message as object)
    })
  }

  /** Sends `exit` (the child's own way out); resolves once the child is gone, killed if it is still there 2 s later. */
  stop(exit: Ask): Promise<void> {
    const child = this.child
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (child.connected) child.send(exit as object)
    const timer = setTimeout(() => child.kill(), 2000)
    timer.unref()
    return gone.finally(() => clearTimeout(timer))
  }
}
