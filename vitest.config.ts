import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each file starts its own embedded database (or its own server database), so files run in
    // separate processes; two at a time fits the 2-core machines.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    // Browser tests wait for the page through expect.poll; a shared 2-core machine needs more than the default second.
    expect: { poll: { timeout: 20_000, interval: 100 } },
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
