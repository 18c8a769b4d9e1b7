import { cacheContract } from './support/contract'

cacheContract('memory store', async () => ({ valkey: () => undefined, shared: false, stop: async () => {} }))
