/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Snapshots live in __snapshots__/ at the repository root (the layout of the design card).
  snapshotResolver: '<rootDir>/test/snapshot-resolver.js',
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/global-setup.js',
};
