import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { builtinModules } from 'node:module';
import pkg from './package.json' with { type: 'json' };

/**
 * Chunks holding any React module (hooks, provider, components) start with "use client", so a Server Component (a
 * Next.js layout) can render the provider, banner and toaster directly. Bundling drops module-level directives, so
 * the build adds it back; core, server and testing hold no React and stay usable on the server.
 */
const CLIENT_SOURCES = /[\\/]src[\\/](react|components)[\\/]/;
const useClientBanner = (chunk: { moduleIds: readonly string[] }) =>
  chunk.moduleIds.some((id) => CLIENT_SOURCES.test(id)) ? '"use client";' : '';

// Storybook and the playground load this file too; only `vite build --mode lib` (npm run build) builds the library.
const external = [
  ...Object.keys(pkg.dependencies),
  ...Object.keys(pkg.peerDependencies),
  ...builtinModules,
  ...builtinModules.map((name) => `node:${name}`),
];

export default defineConfig(({ mode }) =>
  mode !== 'lib'
    ? { plugins: [react()] }
    : {
        plugins: [react()],
        build: {
          outDir: 'dist',
          emptyOutDir: true,
          sourcemap: true,
          minify: false,
          target: 'es2022',
          lib: {
            formats: ['es'],
            entry: {
              index: 'src/index.ts',
              core: 'src/core/index.ts',
              fallback: 'src/features/fallback.ts',
              lanes: 'src/features/lanes.ts',
              query: 'src/query/index.ts',
              server: 'src/server/index.ts',
              'server-redis': 'src/server/redis-entry.ts',
              'ai-sdk': 'src/ai-sdk/index.ts',
              testing: 'src/testing/index.ts',
              'testing-msw': 'src/testing/msw-entry.ts',
              'messages-fr': 'src/core/messages-fr.ts',
              escalation: 'src/features/escalation.ts',
              status: 'src/features/status.ts',
              offers: 'src/features/offers.ts',
            },
          },
          rolldownOptions: {
            external: (id: string) => external.some((name) => id === name || id.startsWith(`${name}/`)),
            output: { chunkFileNames: 'chunks/[name]-[hash].js', banner: useClientBanner },
          },
        },
      },
);
