// Debian's Chromium, headless, for every browser check (the story tests, the playground, the production app, the
// Next.js example). Without the networking flags it tries to reach the network and stalls on this closed machine.

/** Where Chromium is: CHROMIUM_PATH, as scripts/pretest.js tells people to set, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
