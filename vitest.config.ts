import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';
import { fileURLToPath } from 'node:url';

/** React 18.3 and the React libraries, installed apart in test/react18 (scripts/pretest.js) so they load React 18. */
const react18 = (name: string) => fileURLToPath(new URL(`./test/react18/node_modules/${name}`, import.meta.url));

/** Debian's Chromium, headless; without the networking flags it tries to reach the network and stalls. */
const chromium = () =>
  playwright({
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    },
  });

// One run, several projects: `unit` (Node and jsdom: core, hooks, components, server, simulator) and, added by
// their own files, the browser projects (every Storybook story as a test, the playground end to end).
export default defineConfig({
  plugins: [react()],
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.{ts,tsx}'],
          exclude: ['test/e2e/**', 'test/production/**'],
          environment: 'node',
          setupFiles: ['test/setup.ts'],
          restoreMocks: true,
        },
      },
      {
        // The playground end to end in Debian's Chromium, driven by playwright-core from Node.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The hook, component and SSR tests again, against React 18.3: the kit supports react >= 18.
        extends: true,
        resolve: {
          alias: ['react', 'react-dom', '@tanstack/react-query', '@testing-library/react', '@radix-ui/react-toast'].flatMap(
            (name) => [
              { find: new RegExp(`^${name}$`), replacement: react18(name) },
              { find: new RegExp(`^${name}/(.*)$`), replacement: `${react18(name)}/$1` },
            ],
          ),
        },
        test: {
          name: 'react18',
          include: ['test/react/**/*.test.tsx', 'test/components/**/*.test.tsx', 'test/ssr/**/*.test.tsx'],
          // The persister recipe tests TanStack's persister, not React: it stays on the main install.
          exclude: ['test/react/persist-recipe.test.tsx'],
          environment: 'node',
          setupFiles: ['test/setup.ts'],
          restoreMocks: true,
          env: { EXPECTED_REACT_MAJOR: '18' },
        },
      },
      // What users get, built: the example app from the packed tarball, the built Storybook and its screenshots.
      // Minutes, not seconds (npm install, two builds), so `npm run test:production` runs it, after `npm run build`.
      ...(process.env.COK_PRODUCTION_TESTS === '1'
        ? [
            {
              extends: true as const,
              test: {
                name: 'production',
                include: ['test/production/**/*.test.ts'],
                environment: 'node' as const,
                testTimeout: 120_000,
                hookTimeout: 600_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
      {
        // Every story in stories/ as a test in Chromium, with its play function and an axe check.
        extends: true,
        plugins: [storybookTest({ configDir: '.storybook' })],
        optimizeDeps: {
          include: ['msw', 'msw/browser', 'msw-storybook-addon/csf3', 'react', 'react-dom', '@radix-ui/react-toast'],
        },
        test: {
          name: 'storybook',
          browser: {
            enabled: true,
            headless: true,
            provider: chromium(),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
