// The Redis line's Lua takes every number it runs on from the tuning sheet (LINE_TUNING in
// src/server/admission/defaults.ts, passed as ARGV[12]), so the two stores cannot drift apart by a retyped constant
// (the port once retyped the flood rule as `inARow >= 6 or (n >= 8 and refusedN / n >= 0.9)`). The script may spell
// 0 and 1, indices into a table (ARGV, KEYS, the op's parameters, a reply), and the few numbers of structure listed below; anything else fails here.
import { describe, expect, it } from 'vitest';
import { LINE_TUNING } from '../../../src/server/admission/defaults.js';
import { LINE_CONTROL, lineArgs } from '../../../src/server/store/redis-admission.js';

/** Numbers of structure, not tuning: each declared once at the top of the script, with why it is not in the sheet. */
const STRUCTURE: ReadonlyArray<readonly [string, string]> = [
  ['local MS_PER_S, US_PER_MS = 1000, 1000', "units: Redis TIME answers seconds and microseconds"],
  ['local OPEN, CLOSED, PROBING = 0, 1, 2', "the window's state codes, as stored in the hash"],
  ['local LINE_KEY_COUNT, FIRST_P = 11, 13', 'the layout of KEYS and ARGV (redis-admission.ts builds them)'],
  ['local HALF = 0.5 -- rounds to the nearest whole', 'rounding'],
  ['local LANE_SCORE = 2 ^ 50', 'a score above every order, so interactive waiters sort before background ones'],
  ["local PLACES_KEY = 17 -- KEYS[17]: the user's places; hold-places passes more users' after it", 'the layout of KEYS'],
];

/** The numeric literals of a Lua source outside strings, comments and table indices, other than 0 and 1. */
export function bareNumbers(lua: string): string[] {
  const code = lua
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''")
    .replace(/--.*$/gm, '')
    // An index into a table (ARGV, KEYS, the op's parameters P, a reply): positions, not tuning.
    .replace(/\b\w+\[\d+\]/g, 'INDEXED');
  const literals = code.match(/(?<![\w.])(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(?![\w.])/g) ?? [];
  return literals.filter((n) => Number(n) !== 0 && Number(n) !== 1);
}

function withoutStructure(lua: string): string {
  let rest = lua;
  for (const [line] of STRUCTURE) {
    expect(rest.split(line).length - 1, `declared once: ${line}`).toBe(1);
    rest = rest.replace(line, '');
  }
  return rest;
}

describe("the Redis line's Lua and the tuning sheet", () => {
  it('spells no number of its own: every tunable comes from the sheet through ARGV', () => {
    expect(bareNumbers(withoutStructure(LINE_CONTROL))).toEqual([]);
    // Nothing is written into the script from TypeScript either (a template literal would hide a number in it).
    expect(LINE_CONTROL).not.toContain('${');
  });

  it('fails on a bare number, wherever it hides', () => {
    const script = withoutStructure(LINE_CONTROL);
    const flood = script.replace('n >= T.recentOutcomes * T.floodMinShare', 'n >= 8');
    expect(flood).not.toBe(script);
    expect(bareNumbers(flood)).toEqual(['8']);
    for (const literal of ['0.9', '.5', '1e3', '0x10', '2', '16', '3600000', '-6']) {
      expect(bareNumbers(`${script}\nlocal x = y * ${literal}\n`), literal).toHaveLength(1);
    }
    // …but not in a comment, a string or an index.
    expect(bareNumbers(`${script}\n-- 16 outcomes\nlocal s = '%.17g' .. ARGV[14]\n`)).toEqual([]);
  });

  it('reads only names the sheet has, and gets the sheet itself as ARGV[12]', () => {
    const names = new Set([...LINE_CONTROL.matchAll(/\bT\.(\w+)/g)].map((m) => m[1]!));
    expect(names.size).toBeGreaterThan(15);
    for (const name of names) expect(Object.keys(LINE_TUNING), name).toContain(name);
    expect(JSON.parse(String(lineArgs({}, 'turn')[11]))).toEqual(LINE_TUNING);
  });
});
