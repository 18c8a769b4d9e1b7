// Turns of the event loop, as the read path orders what it sent against who joined it: a turn is one
// uninterrupted stretch of JavaScript, and the count moves on at the first microtask checkpoint after
// it was read. Callers in one stretch (say `Promise.all` of reads of one key) share a turn; a caller
// in a later one began after anything sent before it, however long the process was busy meanwhile.

let turn = 0
let moving = false

function move(): void {
  turn++
  moving = false
}

/** The current turn: equal for calls in one synchronous stretch, greater for any later call. */
export function currentTurn(): number {
  if (!moving) {
    moving = true
    queueMicrotask(move)
  }
  return turn
}
