// Every default a docs page states in a table is the code's. The README once said maxQueue 64 in one place and 1000 in
// another, and neither was checked; here each table with a "default" column (and the retry policy's table) is read
// off the page and compared with the value the code uses. A new table of defaults, or a new row, fails until this
// test knows where its value lives in the code.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FALLBACK_AFTER_MS } from '../../src/features/fallback.js';
import { DEFAULT_RETRY_POLICY } from '../../src/core/policy.js';
import {
  DEFAULT_HOLD_MS,
  DEFAULT_MAX_CLOSED_MS,
  DEFAULT_MIN_CLOSED_MS,
  DEFAULT_INITIAL_LIMIT,
  DEFAULT_LINE_UPDATE_MS,
  DEFAULT_MAX_QUEUE,
} from '../../src/server/admission/defaults.js';
import { HANDLER_DEFAULTS } from '../../src/server/handler-options.js';
import { SIMULATOR_DEFAULTS } from '../../src/testing/defaults.js';
import { createOverloadSimulator } from '../../src/testing/index.js';

interface Table {
  page: string;
  line: number;
  header: string[];
  rows: string[][];
}

/** Markdown tables of a page (indented ones inside list items too), cells trimmed. */
function tablesOf(page: string): Table[] {
  const lines = readFileSync(`docs/${page}`, 'utf8').split('\n');
  const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((cell) => cell.trim());
  const tables: Table[] = [];
  for (let i = 0; i + 1 < lines.length; i += 1) {
    if (!/^\s*\|/.test(lines[i]!) || !/^\s*\|[-| :]+\|\s*$/.test(lines[i + 1]!)) continue;
    const table: Table = { page, line: i + 1, header: cells(lines[i]!), rows: [] };
    let j = i + 2;
    for (; j < lines.length && /^\s*\|/.test(lines[j]!); j += 1) table.rows.push(cells(lines[j]!));
    tables.push(table);
    i = j;
  }
  return tables;
}

const PAGES = readdirSync('docs').filter((name) => name.endsWith('.md'));
const DEFAULT_TABLES = PAGES.flatMap(tablesOf).filter((table) => table.header.some((cell) => /^default$/i.test(cell)));

/** The table of `page` whose first header cell is `first`; the row named `name` (backticks dropped) in it. */
function tableOf(page: string, first: string): Table {
  const table = DEFAULT_TABLES.find((candidate) => candidate.page === page && candidate.header[0] === first);
  if (!table) throw new Error(`docs/${page} has no table of defaults headed "${first}"`);
  return table;
}
const unquote = (cell: string) => cell.replace(/`/g, '');
const rowName = (row: string[]) => unquote(row[0]!);

/** A stated value: `'normal'` → 'normal', none → undefined, Infinity, `[]` → [], "25 000; …" → 25000. */
function stated(cell: string): unknown {
  const text = unquote(cell).trim();
  if (/^'[^']*'/.test(text)) return /^'([^']*)'/.exec(text)![1];
  if (/^none\b/.test(text)) return undefined;
  if (/^Infinity\b/.test(text)) return Infinity;
  if (/^\[\]/.test(text)) return [];
  const number = /^-?\d[\d ,]*(?:\.\d+)?/.exec(text)?.[0];
  if (number !== undefined) return Number(number.replace(/[ ,]/g, ''));
  return text;
}

/** The first number a cell states ("unset: the limit starts at 32 …" → 32). */
const firstNumber = (cell: string) => Number(/\d[\d ]*(?:\.\d+)?/.exec(cell)?.[0].replace(/ /g, ''));

/** A list cell split at top-level commas ("`maxConcurrency`, 1 (below 1, …), none" → three parts). */
function parts(cell: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of cell) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += char;
  }
  return [...out, current.trim()];
}

/** A default the code writes inline as `options.<name> ?? <value>` in one file. */
function inlineDefault(file: string, name: string): unknown {
  const values = [...readFileSync(file, 'utf8').matchAll(new RegExp(`options\\.${name} \\?\\? ([\\w.]+)`, 'g'))].map(([, raw]) =>
    raw === 'Infinity' ? Infinity : Number(raw!.replace(/_/g, '')),
  );
  if (values.length === 0) throw new Error(`${file} sets no inline default for ${name}: read it from where it moved`);
  expect(new Set(values).size, `${file} gives ${name} one default`).toBe(1);
  return values[0];
}

/** "1 s", "20 s / 15 s", "10 min" → ms (one value per slash). */
const durations = (cell: string) =>
  cell.split('/').map((part) => {
    const match = /([\d.]+)\s*(s|min)\b/.exec(part);
    if (!match) throw new Error(`no duration in "${cell}"`);
    return Number(match[1]) * (match[2] === 'min' ? 60_000 : 1000);
  });

describe('the defaults the docs state', () => {
  it('are all in tables this test reads', () => {
    const known = ['testing.md:option', 'line.md:option', 'failover-and-lanes.md:option', 'front-door.md:option'];
    expect(DEFAULT_TABLES.map((table) => `${table.page}:${table.header[0]}`).sort()).toEqual(known.sort());
  });

  it("match the handler's limits and deadlines (docs/front-door.md)", () => {
    const table = tableOf('front-door.md', 'option');
    const defaultColumn = table.header.indexOf('default');
    /** "32 MiB (…)", "30 s", "100", "10 min" → bytes, ms or a count. */
    const value = (cell: string) => {
      const mib = /^([\d.]+) MiB/.exec(cell);
      if (mib) return Number(mib[1]) * 2 ** 20;
      return /\d\s*(s|min)\b/.test(cell) ? durations(cell)[0] : firstNumber(cell);
    };
    // Every row is a default of HANDLER_DEFAULTS, but the uploads' limits (Anthropic's own, in passthrough.ts).
    const rows = table.rows.filter((row) => !rowName(row).startsWith('uploads through'));
    expect(rows.map(rowName)).toEqual(expect.arrayContaining(['maxBodyBytes', 'bodyTimeoutMs', 'holdMs', 'maxQueue']));
    for (const row of rows) {
      const name = rowName(row);
      expect(name in HANDLER_DEFAULTS, `docs/front-door.md states a default for ${name}, which HANDLER_DEFAULTS lacks`).toBe(true);
      expect(value(row[defaultColumn]!), `docs/front-door.md: ${name}`).toBe(HANDLER_DEFAULTS[name as keyof typeof HANDLER_DEFAULTS]);
    }
    expect(HANDLER_DEFAULTS.holdMs).toBe(DEFAULT_HOLD_MS);
  });

  it("match the simulator's (docs/testing.md)", () => {
    const table = tableOf('testing.md', 'option');
    const defaultColumn = table.header.indexOf('default');
    const notValues: Record<string, unknown> = { script: [], models: undefined, apiKey: undefined };
    for (const row of table.rows) {
      const name = rowName(row);
      const cell = row[defaultColumn]!;
      if (name === 'clock') {
        expect(cell).toBe('the real clock');
        continue;
      }
      const code = name in SIMULATOR_DEFAULTS ? SIMULATOR_DEFAULTS[name as keyof typeof SIMULATOR_DEFAULTS] : notValues[name];
      expect(name in SIMULATOR_DEFAULTS || name in notValues, `docs/testing.md states a default for ${name}, which the code does not have`).toBe(true);
      expect(stated(cell), `docs/testing.md: ${name}`).toEqual(code);
    }
    // Every default of the code has its row.
    expect(table.rows.map(rowName)).toEqual(expect.arrayContaining(Object.keys(SIMULATOR_DEFAULTS)));
    // And the factory reads them: a simulator made with nothing set is in the stated mode.
    expect(createOverloadSimulator().mode).toBe(SIMULATOR_DEFAULTS.mode);
  });

  it("match the handler's line (docs/line.md)", () => {
    const table = tableOf('line.md', 'option');
    const defaultColumn = table.header.indexOf('default');
    const cell = (name: string) => {
      const row = table.rows.find((candidate) => rowName(candidate) === name);
      if (!row) throw new Error(`docs/line.md has no row for ${name}`);
      return row[defaultColumn]!;
    };
    expect(table.rows.map(rowName).sort()).toEqual(
      ['holdMs', 'queueTimeoutMs', 'lineUpdateMs', 'maxConcurrency', 'maxQueue', 'userKey', 'maxPerUser', 'line.limit.{initial, min, max, decrease, evidenceMs}', 'line.{minClosedMs, maxClosedMs, acceptAfterMs}'].sort(),
    );
    expect(stated(cell('holdMs'))).toBe(DEFAULT_HOLD_MS);
    expect(cell('queueTimeoutMs')).toMatch(/^`holdMs`/);
    expect(firstNumber(cell('queueTimeoutMs'))).toBe(DEFAULT_HOLD_MS);
    expect(stated(cell('lineUpdateMs'))).toBe(DEFAULT_LINE_UPDATE_MS);
    expect(firstNumber(cell('maxConcurrency'))).toBe(DEFAULT_INITIAL_LIMIT);
    expect(stated(cell('maxQueue'))).toBe(DEFAULT_MAX_QUEUE);
    expect(stated(cell('userKey'))).toBeUndefined();
    expect(firstNumber(cell('maxPerUser'))).toBe(DEFAULT_MAX_QUEUE / 10);
    expect(readFileSync('src/server/admission/line.ts', 'utf8')).toContain('options.maxPerUser ?? Math.max(1, Math.ceil(maxQueue / 10))');

    const limitFile = 'src/server/admission/limit.ts';
    const [initial, min, max, decrease, evidenceMs] = parts(cell('line.limit.{initial, min, max, decrease, evidenceMs}'));
    expect(initial).toBe('`maxConcurrency`');
    expect(stated(min!)).toBe(inlineDefault(limitFile, 'min'));
    expect(stated(max!) ?? Infinity).toBe(inlineDefault(limitFile, 'max'));
    expect(stated(decrease!)).toBe(inlineDefault(limitFile, 'decrease'));
    expect(stated(evidenceMs!)).toBe(inlineDefault(limitFile, 'evidenceMs'));

    const lineFile = 'src/server/admission/line.ts';
    const [minClosedMs, maxClosedMs, acceptAfterMs] = parts(cell('line.{minClosedMs, maxClosedMs, acceptAfterMs}'));
    expect(stated(minClosedMs!)).toBe(DEFAULT_MIN_CLOSED_MS);
    expect(stated(maxClosedMs!)).toBe(DEFAULT_MAX_CLOSED_MS);
    expect(stated(acceptAfterMs!)).toBe(inlineDefault(lineFile, 'acceptAfterMs'));
  });

  it('match the fallback chain (docs/failover-and-lanes.md)', () => {
    const table = tableOf('failover-and-lanes.md', 'option');
    const defaultColumn = table.header.indexOf('default');
    const cell = (name: string) => table.rows.find((row) => rowName(row) === name)![defaultColumn]!;
    expect(table.rows.map(rowName)).toEqual(['models', 'afterMs', 'mode']);
    expect(cell('models')).toBe('—');
    expect(durations(cell('afterMs'))).toEqual([DEFAULT_FALLBACK_AFTER_MS]);
    // 'auto' is what a chain does unless told 'offer'.
    expect(stated(cell('mode'))).toBe('auto');
    expect(readFileSync('src/core/fallback.ts', 'utf8')).toContain("mode = 'auto'");
  });

  it("match the retry policy's (docs/core.md)", () => {
    const table = tablesOf('core.md').find((candidate) => candidate.header[0] === 'kind');
    expect(table, 'docs/core.md has the retry policy table').toBeDefined();
    const { kinds, ...global } = DEFAULT_RETRY_POLICY;
    const policyOf = (kind: keyof typeof kinds) => ({ ...global, ...kinds[kind] });
    expect(table!.header).toEqual(['kind', 'base', 'cap', 'attempts', 'total wait']);
    for (const [label, base, cap, attempts, wait] of table!.rows) {
      const named = label!.split(/\s*\/\s*|\s+\(/)[0] === 'timeout' ? ['timeout', 'network'] : [label!.split(' ')[0]!];
      named.forEach((kind, i) => {
        const policy = policyOf(kind as keyof typeof kinds);
        const pick = (values: number[]) => values[Math.min(i, values.length - 1)];
        expect(pick(durations(base!)), `${kind} base`).toBe(policy.baseMs);
        expect(pick(durations(cap!)), `${kind} cap`).toBe(policy.capMs);
        expect(pick(attempts!.split('/').map(Number)), `${kind} attempts`).toBe(policy.maxAttempts);
        expect(pick(durations(wait!)), `${kind} total wait`).toBe(policy.maxWaitMs);
      });
    }
  });
});
