import { ensureValkey } from './find-valkey'

/** vitest globalSetup: make sure valkey-server and valkey-cli exist (installing them when possible) before any test. */
export default function setup(): void {
  const { server } = ensureValkey()
  process.env.VALKEY_SERVER ??= server
}
