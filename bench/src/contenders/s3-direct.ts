import type { Endpoints } from '../env'
import { makeOrigin } from './origin'
import type { Contender } from './types'

/** No cache: every read is an S3 GetObject and JSON.parse (what a hit saves). */
export function createS3Direct(endpoints: Endpoints): Contender {
  const origin = makeOrigin(endpoints)
  return {
    name: 'S3 GetObject',
    read: origin.loadJson,
    originCalls: origin.calls,
    async close() {
      origin.close()
    },
  }
}
