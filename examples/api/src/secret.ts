import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { CacheConfigError, type ValkeyCredentials } from '@valkey-s3-cache/core'

/**
 * The Valkey password from a Secrets Manager secret (plain text, or JSON with a `password` field).
 * The cache calls it for every new connection, so a rotated secret is picked up at the next
 * reconnect without a redeploy. The SDK client is made on first use: IAM-mode functions never pay for it.
 */
export function secretPassword(secretId: string): () => Promise<ValkeyCredentials> {
  let client: SecretsManagerClient | undefined
  return async () => {
    client ??= new SecretsManagerClient({})
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }))
    if (!SecretString)
      throw new CacheConfigError('VALKEY_PASSWORD_SECRET_ARN', 'the secret has no string value')
    if (!SecretString.trimStart().startsWith('{')) return { password: SecretString }
    const parsed = JSON.parse(SecretString) as { password?: unknown; username?: unknown }
    if (typeof parsed.password !== 'string') {
      throw new CacheConfigError('VALKEY_PASSWORD_SECRET_ARN', 'the JSON secret has no "password" string')
    }
    return {
      password: parsed.password,
      ...(typeof parsed.username === 'string' ? { username: parsed.username } : {}),
    }
  }
}
