// The library build: JavaScript by Vite (library mode), declarations by tsc (TypeScript 7 has no JS API, so no
// vite-plugin-dts), and the stylesheet copied as is.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });
run('npx', ['vite', 'build', '--mode', 'lib', '--logLevel', 'warn']);
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
mkdirSync('dist', { recursive: true });
copyFileSync('src/components/styles.css', 'dist/styles.css');
console.log('built dist/: index.js, core.js, server.js, server-redis.js, ai-sdk.js, testing.js, testing-msw.js, styles.css, types/');
