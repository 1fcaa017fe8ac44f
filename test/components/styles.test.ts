import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../../src/components/styles.css', import.meta.url), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');

/** The declarations of the first rule whose selector contains `selector`, in order. */
function declarationsOf(selector: string): string[] {
  const at = css.indexOf(selector);
  expect(at, `no rule for ${selector}`).toBeGreaterThanOrEqual(0);
  const body = css.slice(css.indexOf('{', at) + 1, css.indexOf('}', at));
  return body
    .split(';')
    .map((line) => line.trim())
    .filter(Boolean);
}

describe('styles.css', () => {
  it('uses no light-dark(), which build pipelines lower into switches that lose every colour', () => {
    expect(css).not.toContain('light-dark(');
  });

  it('writes the dark palette the same way for the system preference and for data-theme="dark"', () => {
    const system = declarationsOf(":not(:where([data-theme='light'], [data-theme='light'] *))");
    const themed = declarationsOf(":where([data-theme='dark'], [data-theme='dark'] *)");
    expect(system.length).toBeGreaterThan(20);
    expect(themed).toEqual(system);
  });

  it('gives every colour token of the light palette a dark value', () => {
    const light = declarationsOf(':where(.cok-banner, .cok-toast-viewport) {');
    const dark = new Set(declarationsOf(":where([data-theme='dark'], [data-theme='dark'] *)").map((d) => d.split(':')[0]));
    const colours = light.filter((d) => /#|rgb\(/.test(d)).map((d) => d.split(':')[0]);
    expect(colours.filter((name) => !dark.has(name))).toEqual([]);
  });
});
