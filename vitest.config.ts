import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['./vitest.global-setup.ts'],
    pool: 'forks',
    reporters: ['default', './vitest.summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    exclude: ['**/node_modules/**', '**/dist/**', '**/.data/**'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['{src,modules,scripts,extracted}/**/*.unit.test.ts'] } },
      { extends: true, test: { name: 'int', include: ['{src,modules,scripts,extracted}/**/*.{int,e2e}.test.ts'] } },
    ],
  },
});
