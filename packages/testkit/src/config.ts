import { randomBytes } from 'node:crypto'
import type { TlsMaterial } from './tls'

export interface AclOptions {
  /** Default `'app'`. */
  username?: string
  /** Default: 24 random hex bytes. */
  password?: string
  /** The only keys and pub/sub channels the user may touch: `~{keyPrefix}*` and `&{keyPrefix}*`. Default `'s3c:'`. */
  keyPrefix?: string
  /** Command rules of the user. Default `'+@all'` (the key pattern is the limit). */
  commands?: string
}

export interface AclUser {
  username: string
  password: string
  keyPrefix: string
  commands: string
}

export interface Credentials {
  username: string
  password: string
}

export function randomSecret(): string {
  return randomBytes(24).toString('hex')
}

export function resolveAcl(acl: boolean | AclOptions | undefined): AclUser | undefined {
  if (!acl) return undefined
  const options = acl === true ? {} : acl
  return {
    username: options.username ?? 'app',
    password: options.password ?? randomSecret(),
    keyPrefix: options.keyPrefix ?? 's3c:',
    commands: options.commands ?? '+@all',
  }
}

/** Config lines shared by standalone and cluster nodes of both engines (Redis OSS 7.0 knows every one). */
export function baseConfig(dir: string, port: number, tls: TlsMaterial | undefined): string[] {
  const lines = [
    'bind 127.0.0.1',
    `dir ${dir}`,
    'save ""',
    'appendonly no',
    'logfile ""',
    'loglevel notice',
    'protected-mode no',
  ]
  if (!tls) return [...lines, `port ${port}`]
  return [
    ...lines,
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${tls.certFile}`,
    `tls-key-file ${tls.keyFile}`,
    `tls-ca-cert-file ${tls.caFile}`,
    'tls-auth-clients no',
  ]
}

/** With ACL on: the default user is disabled, an admin user can do everything, the app user only its prefix (keys and channels). */
export function aclConfig(user: AclUser | undefined, admin: Credentials | undefined): string[] {
  if (!user || !admin) return []
  return [
    'user default off',
    `user ${admin.username} on >${admin.password} ~* &* +@all`,
    `user ${user.username} on >${user.password} resetkeys ~${user.keyPrefix}* resetchannels &${user.keyPrefix}* -@all ${user.commands}`,
  ]
}
