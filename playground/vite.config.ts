import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { claudeKitBackend } from './backend.js';

const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

// The playground imports the kit by its published name, resolved to the sources, so its code reads like an app's.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), claudeKitBackend()],
  resolve: {
    alias: [
      { find: /^claude-overload-kit\/styles\.css$/, replacement: src('components/styles.css') },
      { find: /^claude-overload-kit\/fallback$/, replacement: src('features/fallback.ts') },
      { find: /^claude-overload-kit\/lanes$/, replacement: src('features/lanes.ts') },
      { find: /^claude-overload-kit$/, replacement: src('index.ts') },
      { find: /^claude-overload-kit\/core$/, replacement: src('core/index.ts') },
      { find: /^claude-overload-kit\/(escalation|status|offers)$/, replacement: src('features/$1.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: 5173 },
  clearScreen: false,
});
