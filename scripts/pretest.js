// Runs before the test suite. The browser tests need Debian's Chromium: say so plainly instead of skipping them.
// The `react18` project needs its own install of React 18.3 (test/react18), made here when missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(
    [
      '',
      `  Chromium was not found at ${chromium}.`,
      '  The browser tests (every Storybook story, the playground end to end) need it.',
      '  Install it with:   sudo apt-get install -y chromium',
      '  or point CHROMIUM_PATH at a Chromium binary, then run `npm test` again.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

if (!existsSync('test/react18/node_modules/react/package.json')) {
  console.log('Installing React 18.3 for the react18 test project (test/react18)…');
  execFileSync('npm', ['ci', '--prefix', 'test/react18', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
