// Run before the test suite: the browser tests need Debian's Chromium. Say so plainly instead of skipping them.
import { existsSync } from 'node:fs';

const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(path)) {
  console.error(
    [
      '',
      `  Chromium was not found at ${path}.`,
      '  The browser tests (every Storybook story, the playground end to end) need it.',
      '  Install it with:   sudo apt-get install -y chromium',
      '  or point CHROMIUM_PATH at a Chromium binary, then run `npm test` again.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
