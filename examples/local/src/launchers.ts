// The processes that launched the demo (`npm run demo` → sh → tsx → node) do not all pass a signal on:
// npm sends SIGTERM to its shell, and the shell dies without sending it to tsx, which is left running with
// the demo and its valkey-server. So the demo watches its launchers and stops when one of them exits.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

interface ProcessInfo {
  ppid: number
  pgid: number
}

const hasProc = existsSync('/proc/self/stat')

/** A process's parent and process group; `undefined` once it has exited (a zombie counts as exited). */
function processInfo(pid: number): ProcessInfo | undefined {
  try {
    if (hasProc) {
      // `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const [state, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return state === 'Z' ? undefined : { ppid: Number(ppid), pgid: Number(pgid) }
    }
    const [ppid, pgid, state] = execFileSync('ps', ['-o', 'ppid=,pgid=,stat=', '-p', String(pid)], {
      encoding: 'utf8',
    })
      .trim()
      .split(/\s+/)
    return state === undefined || state.startsWith('Z')
      ? undefined
      : { ppid: Number(ppid), pgid: Number(pgid) }
  } catch {
    return undefined
  }
}

/**
 * The demo's launchers, nearest first: its parent, and every ancestor above it in the demo's process
 * group (a terminal or `spawn(..., { detached: true })` makes npm that group's leader, so the chain is
 * tsx, sh, npm), ending at the group's leader.
 */
export function launchers(): number[] {
  const own = processInfo(process.pid)
  const chain = [process.ppid]
  let pid = process.ppid
  while (own !== undefined && pid > 1 && pid !== own.pgid) {
    const info = processInfo(pid)
    if (info === undefined || info.ppid <= 1 || processInfo(info.ppid)?.pgid !== own.pgid) break
    pid = info.ppid
    chain.push(pid)
  }
  return chain
}

/** The first launcher of `chain` that exited, seen as itself gone or as its child reparented. */
function exitedLauncher(chain: number[]): number | undefined {
  if (process.ppid !== chain[0]) return chain[0]
  for (const [i, pid] of chain.entries()) {
    const info = processInfo(pid)
    if (info === undefined) return pid
    const above = chain[i + 1]
    if (above !== undefined && info.ppid !== above) return above
  }
  return undefined
}

/**
 * Calls `onExit` once, with the launcher's PID, when a launcher exits: when the demo's parent changes, or
 * a launcher's parent is no longer the next one up (it was reparented because that one exited). Polls
 * every `intervalMs` without keeping the process alive. Returns a function that stops watching.
 */
export function whenALauncherExits(onExit: (pid: number) => void, intervalMs = 500): () => void {
  const chain = launchers()
  const timer = setInterval(() => {
    const gone = exitedLauncher(chain)
    if (gone === undefined) return
    clearInterval(timer)
    onExit(gone)
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
