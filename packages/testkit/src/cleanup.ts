import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Every process and temp dir the testkit creates is recorded here, so that a failing
// test, an uncaught error or Ctrl-C still leaves no valkey-server and no temp dir behind.
const children = new Set<ChildProcess>()
const dirs = new Set<string>()
let hooked = false

function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  children.clear()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs.clear()
}

function hookProcessExit(): void {
  if (hooked) return
  hooked = true
  process.once('exit', cleanupNow)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupNow()
      process.kill(process.pid, signal)
    })
  }
}

export function trackChild(child: ChildProcess): void {
  hookProcessExit()
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/** A fresh temp dir that is removed at teardown or process exit, whichever comes first. */
export function makeTempDir(label: string): string {
  hookProcessExit()
  const dir = mkdtempSync(join(tmpdir(), `vs3c-${label}-`))
  dirs.add(dir)
  return dir
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}
