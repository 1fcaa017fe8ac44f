// Pixel comparison in Chromium itself (canvas getImageData), so the screenshot check needs no image library.
import type { Browser } from 'playwright-core';

/** Per-channel difference below which two pixels count as the same (anti-aliasing noise). */
const CHANNEL_TOLERANCE = 24;

/** The share of pixels (0–1) that differ between two PNGs; 1 when their sizes differ. */
export async function compareScreenshots(browser: Browser, expected: Buffer, actual: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ a, b, tolerance }) => {
        const load = async (base64: string) => {
          const image = new Image();
          image.src = `data:image/png;base64,${base64}`;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.naturalWidth;
          canvas.height = image.naturalHeight;
          const context = canvas.getContext('2d')!;
          context.drawImage(image, 0, 0);
          return context.getImageData(0, 0, canvas.width, canvas.height);
        };
        const [first, second] = await Promise.all([load(a), load(b)]);
        if (first.width !== second.width || first.height !== second.height) return 1;
        let differing = 0;
        for (let i = 0; i < first.data.length; i += 4) {
          for (let channel = 0; channel < 3; channel += 1) {
            if (Math.abs(first.data[i + channel]! - second.data[i + channel]!) > tolerance) {
              differing += 1;
              break;
            }
          }
        }
        return differing / (first.width * first.height);
      },
      { a: expected.toString('base64'), b: actual.toString('base64'), tolerance: CHANNEL_TOLERANCE },
    );
  } finally {
    await page.close();
  }
}
