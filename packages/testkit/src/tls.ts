import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface TlsMaterial {
  /** PEM of the throwaway CA that signed the server certificate. */
  ca: string
  caFile: string
  certFile: string
  keyFile: string
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

/**
 * Creates a throwaway CA and a server certificate for `localhost` / `127.0.0.1` in `dir`
 * (P-256 keys, valid one day). The CA key never leaves the temp dir.
 */
export function makeTlsMaterial(dir: string, commonName = 'testkit CA'): TlsMaterial {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
    ],
    dir,
  )
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir)
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.crt',
      '-days',
      '1',
      '-sha256',
      '-extfile',
      'san.cnf',
    ]),
    dir,
  )
  const caFile = join(dir, 'ca.crt')
  return {
    ca: readFileSync(caFile, 'utf8'),
    caFile,
    certFile: join(dir, 'server.crt'),
    keyFile: join(dir, 'server.key'),
  }
}
