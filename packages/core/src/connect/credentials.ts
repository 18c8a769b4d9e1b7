import { CacheConfigError } from '../errors'
import { rememberSecret } from './errors'
import type { ValkeyCredentials } from './options'

/** Produces the user and secret for one new connection. */
export type CredentialSource = () => Promise<ValkeyCredentials>

function checked(credentials: ValkeyCredentials, option: string): ValkeyCredentials {
  if (typeof credentials?.password !== 'string' || credentials.password === '') {
    throw new CacheConfigError(option, 'the credentials function returned no password')
  }
  if (
    credentials.username !== undefined &&
    (typeof credentials.username !== 'string' || credentials.username === '')
  ) {
    throw new CacheConfigError(option, 'the credentials function returned an empty or non-string username')
  }
  rememberSecret(credentials.password)
  return { username: credentials.username, password: credentials.password }
}

/**
 * Wraps a credentials function: concurrent calls share one promise (a cluster opens a connection
 * to every node at once, which should cost one secret fetch, not six), and every secret is
 * remembered so that error messages can never repeat it.
 */
export function credentialSource(
  fetch: () => Promise<ValkeyCredentials> | ValkeyCredentials,
  option: string,
): CredentialSource {
  let pending: Promise<ValkeyCredentials> | undefined
  return () => {
    pending ??= Promise.resolve()
      .then(fetch)
      .then((credentials) => checked(credentials, option))
      .finally(() => {
        pending = undefined
      })
    return pending
  }
}
