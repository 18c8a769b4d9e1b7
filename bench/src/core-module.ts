import { pathToFileURL } from 'node:url'
import { CORE_DIST_ENV } from './core-dist'

type Core = typeof import('@valkey-s3-cache/core')

/**
 * The core the contenders run: its dist when the command line asked for it ({@link CORE_DIST_ENV}),
 * else its source (dry runs and tests, which need no build).
 */
const dist = process.env[CORE_DIST_ENV]
const core: Core = dist ? await import(pathToFileURL(dist).href) : await import('@valkey-s3-cache/core')

export const { createS3Cache } = core
/** Where core was loaded from, for the results. */
export const coreLoadedFrom: 'dist' | 'source via tsx' = dist ? 'dist' : 'source via tsx'
