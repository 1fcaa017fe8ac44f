// docs/tuning.md lists every number of the handler's line with the measurement behind it. A number added to the
// sheet (src/server/admission/defaults.ts) without a row, a row for a number that went, or a value that drifted fails
// here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LINE_TUNING } from '../../src/server/admission/defaults.js';

/** The rows of the page's table headed `| name | value | …` under "The handler's line". */
function sheetRows(): Map<string, { value: string; chosenBy: string }> {
  const page = readFileSync('docs/tuning.md', 'utf8');
  const section = page.slice(page.indexOf("## The handler's line (server)"), page.indexOf('## The browser gate'));
  const rows = new Map<string, { value: string; chosenBy: string }>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    const name = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (name) rows.set(name, { value: cells[1]!, chosenBy: cells[3] ?? '' });
  }
  return rows;
}

describe('the tuning page', () => {
  it("lists every number of the handler's line, with its value and what chose it", () => {
    const rows = sheetRows();
    expect([...rows.keys()].sort()).toEqual(Object.keys(LINE_TUNING).sort());
    for (const [name, value] of Object.entries(LINE_TUNING)) {
      expect(Number(rows.get(name)!.value), name).toBe(value);
    }
    // Every number that sets how the line paces names what chose it; a few bounds say there is nothing to measure.
    const unexplained = [...rows].filter(([, row]) => row.chosenBy === '' || row.chosenBy === '—').map(([name]) => name);
    expect(unexplained.sort()).toEqual(['maxRetryAfterMs', 'minRetryAfterMs']);
  });
});
