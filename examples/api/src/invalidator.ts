// The second entry point of the image: the function that keeps the cache coherent with S3 events runs
// the same image with its command set to "invalidator.handler". It reads the same environment variables
// as the API (configFromEnv), so it removes exactly the keys the API reads; it needs BUCKET and the
// Valkey variables, and no S3 permission.
import { configFromEnv } from './config'
import { createInvalidator } from './s3-events'
import { closeOnShutdown } from './shutdown'

export const handler = createInvalidator(configFromEnv())
closeOnShutdown(handler.close)
