/**
 * Blocks the event loop for `ms`: no timer, no socket, nothing else runs, as while a Lambda environment
 * is frozen or a handler computes. Replies and messages that arrive meanwhile wait in the sockets.
 */
export function blockEventLoop(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {}
}
