import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

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
          exclude: ['test/e2e/**'],
          environment: 'node',
          setupFiles: ['test/setup.ts'],
          restoreMocks: true,
        },
      },
    ],
  },
});
