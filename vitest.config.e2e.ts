import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run test:e2e`: only the e2e suites (they need no external server). */
export default defineConfig({ ...base, test: { ...base.test, include: ['test/*.e2e-spec.ts'] } });
