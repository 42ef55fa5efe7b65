/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { swcrc: true }] },
  setupFiles: ['reflect-metadata'],
  testTimeout: 30_000,
  // Each suite gets its own Postgres schema and Redis prefix, so suites can run side by side.
  maxWorkers: 2,
};
