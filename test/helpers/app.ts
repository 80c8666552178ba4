import type { FastifyInstance } from 'fastify'
import supertest from 'supertest'
import type TestAgent from 'supertest/lib/agent.js'
import { buildApp } from '../../server/app.ts'
import { loadConfig, type Config } from '../../server/config.ts'
import type { DatabaseHandle } from '../../server/db/connect.ts'
import type { CreateUser, User } from '../../server/schemas/auth.ts'
import { createUser } from '../../server/modules/users/service.ts'
import { createTestDatabase } from './database.ts'

export const TEST_PASSWORD = 'correct horse battery staple'

export interface TestApp {
  app: FastifyInstance
  database: DatabaseHandle
  url: string
  /** A plain Supertest client of the listening server (no cookies). */
  request: () => TestAgent
  /** Creates a user and returns a signed-in client that sends the server's Origin like the web app does. */
  signIn: (user: Partial<CreateUser> & Pick<CreateUser, 'department' | 'role'>) => Promise<{ agent: TestAgent; user: User }>
  close: () => Promise<void>
}

let counter = 0

/** Starts the real service on its own database, listening on a free port. */
export async function startTestApp(overrides: Partial<Config> = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const config = loadConfig(
    {},
    {
      port: 0,
      loadDemoData: false,
      serveWeb: false,
      loginRateLimitPerMinute: 10_000,
      loginMaxFailuresPerAddress: 100_000,
      logLevel: 'silent',
      ...overrides,
    },
  )
  const app = await buildApp(config, { database, logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as { port: number }
  const url = `http://127.0.0.1:${address.port}`
  return {
    app,
    database,
    url,
    request: () => supertest.agent(url),
    signIn: async (spec) => {
      counter += 1
      const username = spec.username ?? `${spec.department}_${spec.role}_${counter}`
      const user = await createUser(
        app.db,
        { username, password: TEST_PASSWORD, countyCode: null, ...spec },
        { user: null, requestId: 'test' },
      )
      const agent = supertest.agent(url).set('Origin', url)
      const response = await agent.post('/api/auth/login').send({ username, password: TEST_PASSWORD })
      if (response.status !== 200) throw new Error(`sign-in failed: ${response.status} ${JSON.stringify(response.body)}`)
      return { agent, user }
    },
    close: async () => {
      await app.close()
      await database.close()
    },
  }
}
