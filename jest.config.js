/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { swcrc: true }],
    // otplib's crypto dependencies ship as ES modules only; jest's CommonJS runtime needs them compiled.
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@scure|@noble|otplib|@otplib)/)'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30_000,
  // Each suite gets its own Postgres schema and Redis prefix, so suites can run side by side.
  maxWorkers: 2,
};
