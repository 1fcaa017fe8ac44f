// The stylesheet through the pipelines apps put it through, each at old browser targets (where they lower the most):
// lightningcss (Vite's production CSS minifier) and esbuild's minifier. The result styles server-rendered kit markup
// in Chromium, in light, dark and data-theme, and the computed colours must be the palette's.
import { readFileSync } from 'node:fs';
import { transform as esbuild } from 'esbuild';
import { transform as lightningcss, browserslistToTargets } from 'lightningcss';
import type { Browser } from 'playwright-core';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HighDemandBannerView } from '../../src/components/HighDemandBannerView.js';
import type { DemandSnapshot } from '../../src/core/types.js';
import { launchChromium } from '../production/support.js';

const SOURCE = readFileSync(new URL('../../src/components/styles.css', import.meta.url), 'utf8');
/** Old enough that every pipeline lowers what it can. */
const OLD_BROWSERS = ['chrome 90', 'safari 14', 'firefox 90'];

const PIPELINES: Record<string, () => Promise<string>> = {
  'as shipped': async () => SOURCE,
  'lightningcss (Vite production), old targets': async () =>
    lightningcss({
      filename: 'styles.css',
      code: Buffer.from(SOURCE),
      minify: true,
      targets: browserslistToTargets(OLD_BROWSERS.map((query) => query)),
    }).code.toString(),
  'esbuild --minify, old targets': async () =>
    (await esbuild(SOURCE, { loader: 'css', minify: true, target: ['chrome90', 'safari14', 'firefox90'] })).code,
};

const demand = (level: DemandSnapshot['level']): DemandSnapshot => ({
  level,
  since: 1,
  nextAttemptAt: level === 'busy' ? Date.now() + 60_000 : undefined,
  waiting: 1,
  inFlight: 0,
  retrying: false,
  attempt: 2,
  escalation: 'none',
});
const MARKUP =
  renderToStaticMarkup(createElement(HighDemandBannerView, { demand: demand('busy'), id: 'busy' })) +
  renderToStaticMarkup(createElement(HighDemandBannerView, { demand: demand('unavailable'), id: 'unavailable' })) +
  // The toast as Radix renders it: an item inside the viewport list.
  '<ol class="cok-toast-viewport"><li class="cok-toast" id="toast" data-level="busy">Claude is busy right now.</li></ol>';

const PALETTE = {
  light: { busy: 'rgb(255, 251, 235)', unavailable: 'rgb(254, 242, 242)', toast: 'rgb(255, 255, 255)' },
  dark: { busy: 'rgb(42, 31, 11)', unavailable: 'rgb(43, 18, 18)', toast: 'rgb(28, 25, 23)' },
};
const MODES = [
  { name: 'light', colorScheme: 'light', theme: undefined, palette: PALETTE.light },
  { name: 'dark (system)', colorScheme: 'dark', theme: undefined, palette: PALETTE.dark },
  { name: 'data-theme="dark"', colorScheme: 'light', theme: 'dark', palette: PALETTE.dark },
  { name: 'data-theme="light" on a dark system', colorScheme: 'dark', theme: 'light', palette: PALETTE.light },
] as const;

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

describe('styles.css through build pipelines', () => {
  for (const [pipeline, build] of Object.entries(PIPELINES)) {
    it(`keeps every colour: ${pipeline}`, async () => {
      const css = await build();
      for (const mode of MODES) {
        const page = await browser.newPage({ colorScheme: mode.colorScheme });
        const theme = mode.theme ? ` data-theme="${mode.theme}"` : '';
        await page.setContent(`<!doctype html><html${theme}><head><style>${css}</style></head><body>${MARKUP}</body></html>`);
        const colours = await page.evaluate(() =>
          Object.fromEntries(
            ['busy', 'unavailable', 'toast'].map((id) => [id, getComputedStyle(document.getElementById(id)!).backgroundColor]),
          ),
        );
        await page.close();
        expect(colours, `${pipeline}, ${mode.name}`).toEqual(mode.palette);
      }
      // Motion off for people who ask for less of it: the banner's entrance and the waiting ring.
      const motion: Record<string, string[]> = {};
      for (const reducedMotion of ['no-preference', 'reduce'] as const) {
        const page = await browser.newPage({ reducedMotion });
        await page.setContent(`<!doctype html><html><head><style>${css}</style></head><body>${MARKUP}</body></html>`);
        motion[reducedMotion] = await page.evaluate(() => [
          getComputedStyle(document.querySelector('#busy')!).animationName,
          getComputedStyle(document.querySelector('#busy .cok-indicator')!, '::after').animationName,
        ]);
        await page.close();
      }
      expect(motion, pipeline).toEqual({ 'no-preference': [expect.stringMatching(/cok-enter/), expect.stringMatching(/cok-pulse/)], reduce: ['none', 'none'] });
    });
  }
});
