import { Value } from 'typebox/value'
import { CreateUserSchema, type CreateUser } from '../server/schemas/auth.ts'
import { createUser, listUsers } from '../server/modules/users/service.ts'
import { openConfiguredDatabase, parseFlags, run } from './cli.ts'

const USAGE = 'usage: npm run user -- create --username U --password P --department D --role R [--county C] | list'

run(async () => {
  const [command, ...rest] = process.argv.slice(2)
  if (command !== 'create' && command !== 'list') throw new Error(USAGE)
  const flags = parseFlags(rest, command === 'create' ? ['username', 'password', 'department', 'role', 'county'] : [])
  let input: CreateUser | undefined
  if (command === 'create') {
    const candidate = {
      username: flags.username,
      password: flags.password,
      department: flags.department,
      role: flags.role,
      ...(flags.county ? { countyCode: flags.county } : {}),
    }
    const errors = [...Value.Errors(CreateUserSchema, candidate)].map((e) => `${e.instancePath || '/'} ${e.message}`)
    if (errors.length > 0) throw new Error(`${errors.join('; ')}\n${USAGE}`)
    input = candidate as CreateUser
  }
  const handle = await openConfiguredDatabase()
  try {
    if (input) {
      const user = await createUser(handle.db, input, { user: null, requestId: 'cli' })
      console.log(
        `created user ${user.username} (id ${user.id}, ${user.department} ${user.role}${user.countyCode ? `, county ${user.countyCode}` : ''})`,
      )
    } else {
      for (const u of await listUsers(handle.db))
        console.log(`${u.id}\t${u.username}\t${u.department}\t${u.role}\t${u.countyCode ?? '-'}${u.demo ? '\tdemo' : ''}`)
    }
  } finally {
    await handle.close()
  }
})
