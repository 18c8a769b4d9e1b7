import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { IgnoreMode, aws_lambda as lambda } from 'aws-cdk-lib'
import { Platform } from 'aws-cdk-lib/aws-ecr-assets'
import { API_HANDLER, DOCKER_EXCLUDE, INVALIDATOR_HANDLER } from './config'

/** The functions' instruction set. Both functions use it, and an image must be built for it. */
export type Architecture = 'arm64' | 'x86_64'

/**
 * A container image built from a Docker context at deploy time: its CMD is the API's handler, and the
 * invalidator runs the same image with its command set to `invalidator.handler`.
 */
export interface ImagePackage {
  readonly type: 'image'
  /** The Docker build context (an absolute path, or relative to the directory `cdk` runs in). */
  readonly directory: string
  /** The Dockerfile, relative to `directory`. Default `'Dockerfile'`. */
  readonly dockerfile?: string
  /** The command that builds what the Dockerfile copies, named in the error when it is missing. */
  readonly buildCommand?: string
}

/**
 * A zip of a directory that already holds the bundled handlers (`index.mjs` exporting `handler` for
 * the API, `invalidator.mjs` for the invalidator; `.js` or `.cjs` do too), on a managed Node.js runtime.
 */
export interface ZipPackage {
  readonly type: 'zip'
  /** The directory to zip (an absolute path, or relative to the directory `cdk` runs in). */
  readonly directory: string
  /** The managed runtime. Default `lambda.Runtime.NODEJS_22_X`. */
  readonly runtime?: lambda.Runtime
  /** The command that builds the directory, named in the error when it is missing. */
  readonly buildCommand?: string
}

export type HandlerPackage = ImagePackage | ZipPackage

/** Which function's code: the API's (`index.handler`) or the invalidator's (`invalidator.handler`). */
export type HandlerRole = 'api' | 'invalidator'

/** Thrown at synth when the handler has not been built: deploying it could only fail later, or deploy nothing. */
export class HandlerNotBuiltError extends Error {
  override readonly name = 'HandlerNotBuiltError'
}

const MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs']

/** `index.handler` → `index`: the module Lambda loads for a handler string. */
const moduleOf = (handler: string) => handler.slice(0, handler.lastIndexOf('.'))

/** The local sources of the Dockerfile's COPY and ADD lines (not `--from` stages, URLs or globs). */
function dockerSources(dockerfile: string): string[] {
  return dockerfile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(COPY|ADD)\s/i.test(line) && !/\s--from=/i.test(line))
    .flatMap((line) =>
      line
        .split(/\s+/)
        .slice(1, -1)
        .filter((word) => !word.startsWith('--') && !/[*?[]|^https?:|\$/.test(word)),
    )
}

/**
 * Throws a {@link HandlerNotBuiltError} naming the first missing file: for an image, the Dockerfile or
 * a file it copies; for a zip, the directory or the module of either handler.
 */
export function assertBuilt(pkg: HandlerPackage): void {
  const fail = (missing: string, what: string) => {
    const build = pkg.buildCommand ? ` Build it first: ${pkg.buildCommand}` : ' Build the handler first.'
    throw new HandlerNotBuiltError(`The handler is not built: ${missing} (${what}) does not exist.${build}`)
  }
  if (!existsSync(pkg.directory)) fail(pkg.directory, `the ${pkg.type} package's directory`)
  if (pkg.type === 'image') {
    const dockerfile = join(pkg.directory, pkg.dockerfile ?? 'Dockerfile')
    if (!existsSync(dockerfile)) fail(dockerfile, 'the Dockerfile')
    for (const source of dockerSources(readFileSync(dockerfile, 'utf8'))) {
      const path = join(pkg.directory, source)
      if (!existsSync(path)) fail(path, `copied by ${dockerfile}`)
    }
    return
  }
  for (const handler of [API_HANDLER, INVALIDATOR_HANDLER]) {
    const base = join(pkg.directory, moduleOf(handler))
    if (!MODULE_EXTENSIONS.some((extension) => existsSync(base + extension)))
      fail(`${base}.mjs`, `the module of ${handler}`)
  }
}

/**
 * The `code`, `handler` and `runtime` of one function. Both functions share one asset (the same image,
 * or the same zip): CDK hashes the directory, not the command, so it is built and uploaded once.
 */
export function handlerCode(
  pkg: HandlerPackage,
  architecture: Architecture,
  role: HandlerRole,
): Pick<lambda.FunctionProps, 'code' | 'handler' | 'runtime'> {
  if (pkg.type === 'zip') {
    return {
      code: lambda.Code.fromAsset(pkg.directory),
      handler: role === 'api' ? API_HANDLER : INVALIDATOR_HANDLER,
      runtime: pkg.runtime ?? lambda.Runtime.NODEJS_22_X,
    }
  }
  return {
    code: lambda.Code.fromAssetImage(pkg.directory, {
      file: pkg.dockerfile ?? 'Dockerfile',
      // The API runs the image's CMD; the invalidator overrides it.
      ...(role === 'invalidator' ? { cmd: [INVALIDATOR_HANDLER] } : {}),
      exclude: DOCKER_EXCLUDE,
      ignoreMode: IgnoreMode.DOCKER,
      // The image's architecture must be the function's, whatever machine builds it.
      platform: architecture === 'arm64' ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    }),
    handler: lambda.Handler.FROM_IMAGE,
    runtime: lambda.Runtime.FROM_IMAGE,
  }
}

/** The Lambda architecture for the CDK construct. */
export const lambdaArchitecture = (architecture: Architecture): lambda.Architecture =>
  architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64
