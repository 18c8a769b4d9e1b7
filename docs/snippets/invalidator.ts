import { S3Client } from '@aws-sdk/client-s3'
import middy from '@middy/core'
import { createS3Cache, fromEnv } from '@valkey-s3-cache/core'
import { s3EventInvalidator } from '@valkey-s3-cache/middy'
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda'

// The same bucket, Valkey and keyPrefix as the functions that read.
const cache = createS3Cache({ s3: new S3Client({}), bucket: process.env.BUCKET as string, valkey: fromEnv() })

export const handler = s3EventInvalidator({ cache })
// or, with middlewares:
export const sqsHandler = middy<SQSEvent, SQSBatchResponse>().handler(s3EventInvalidator({ cache }))
