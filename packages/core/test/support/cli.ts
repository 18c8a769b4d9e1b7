import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url))
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))

export interface CliRun {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/**
 * Runs `valkey-s3-cache` as a child process (through tsx, as `npx` would run the built file), with
 * only the given environment: the developer's own AWS configuration must not leak into a test.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr, ms: performance.now() - started })
      },
    )
  })
}

/** The environment for a local S3 server (s3rver) through the SDK's default configuration. */
export function s3Env(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    S3_FORCE_PATH_STYLE: 'true',
  }
}

/** Several runs, at most three at a time (each is a whole Node process), results in order. */
export async function runEach(
  argsList: string[][],
  env: Record<string, string | undefined> = {},
): Promise<CliRun[]> {
  const results: CliRun[] = []
  let next = 0
  const worker = async () => {
    while (next < argsList.length) {
      const i = next++
      results[i] = await runCli(argsList[i] as string[], env)
    }
  }
  await Promise.all([worker(), worker(), worker()])
  return results
}
