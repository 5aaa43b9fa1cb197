import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:postgres`: the suites that need a PostgreSQL server (TEST_DATABASE_URL). */
export default defineConfig({ ...base, test: { ...base.test, include: ['test/postgres/*.e2e-spec.ts'] } });
