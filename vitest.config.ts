import { defineConfig } from 'vitest/config';

/** `npm test`: the unit tests beside the code and the e2e suites in test/; none needs an external server. */
export default defineConfig({
  // TypeScript's CommonJS files (.cts: the entry point and the thread pool's sizing) are TypeScript too.
  oxc: { include: /\.([mc]?ts|[jt]sx)$/ },
  test: {
    globals: true,
    root: './',
    include: ['src/**/*.spec.ts', 'web/src/**/*.spec.ts', 'test/*.e2e-spec.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The AWS SDK's documented switch for its notice that its releases after early 2027 need Node 22:
    // the tests run on Node 20 on purpose (see README, "Node.js").
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
