/**
 * The simulator's options, checked when it is created. An option that the chosen mode never reads is a mistake the
 * simulator would otherwise hide: `{ busyRate: 0.5 }` without `mode: 'busy'` answers every request 200, and the app
 * in front of it never shows an overload. It is refused with the mode to choose instead.
 */
import { SIMULATOR_DEFAULTS } from './defaults.js';
import { SIMULATOR_MODES, type SimulatorMode, type SimulatorOutcome } from './outcomes.js';

interface CheckedOptions {
  mode?: SimulatorMode;
  script?: readonly SimulatorOutcome[];
  busyRate?: number;
  busyAfterMs?: number;
  busyMs?: number;
  busyEveryMs?: number;
  retryAfterSeconds?: number;
}

const PREFIX = 'createOverloadSimulator:';

/** Which modes read each mode-bound option, and what the option does there. */
type ModeBound = 'busyRate' | 'busyAfterMs' | 'busyMs' | 'busyEveryMs' | 'retryAfterSeconds';
const READ_BY: Record<ModeBound, { modes: readonly SimulatorMode[]; does: string }> = {
  busyRate: { modes: ['busy'], does: "the share of requests answered 529 in mode 'busy'" },
  busyAfterMs: { modes: ['episodes'], does: "when the first busy spell starts in mode 'episodes'" },
  busyMs: { modes: ['episodes'], does: "the length of a busy spell in mode 'episodes'" },
  busyEveryMs: { modes: ['episodes'], does: "how often a busy spell comes back in mode 'episodes'" },
  retryAfterSeconds: { modes: ['rate-limited'], does: "the retry-after of a 429, in mode 'rate-limited' or a scripted '429'" },
};

function modeWording(options: CheckedOptions): string {
  return options.mode === undefined ? "mode is 'normal' (the default)" : `mode is '${options.mode}'`;
}

/** Throws a TypeError (or a RangeError for a value out of range) naming the option and what to do instead. */
export function assertSimulatorOptions(options: CheckedOptions): void {
  if (options.mode !== undefined && !SIMULATOR_MODES.includes(options.mode)) {
    throw new TypeError(`${PREFIX} mode '${String(options.mode)}' is not a mode; use one of ${SIMULATOR_MODES.join(', ')}.`);
  }
  const mode = options.mode ?? 'normal';
  for (const [name, { modes, does }] of Object.entries(READ_BY)) {
    const value = options[name as ModeBound];
    if (value === undefined) continue;
    const scripted429 = name === 'retryAfterSeconds' && options.script?.includes('429');
    if (!modes.includes(mode) && !scripted429) {
      throw new TypeError(
        `${PREFIX} ${name} is ${does}, and ${modeWording(options)}, where it is never read. ` +
          `Pass mode: '${modes[0]}' with it${name === 'busyRate' ? ", or mode: 'episodes' for busy spells that end" : ''}; ` +
          `configure({ ${name} }) sets it ahead of a later switch of mode.`,
      );
    }
  }
  assertRange('busyRate', options.busyRate, 0, 1);
  assertRange('busyAfterMs', options.busyAfterMs, 0, Number.MAX_SAFE_INTEGER);
  assertRange('busyMs', options.busyMs, 0, Number.MAX_SAFE_INTEGER);
  assertRange('busyEveryMs', options.busyEveryMs, 1, Infinity);
  const busyMs = options.busyMs ?? SIMULATOR_DEFAULTS.busyMs;
  const everyMs = options.busyEveryMs ?? SIMULATOR_DEFAULTS.busyEveryMs;
  if (options.mode === 'episodes' && everyMs <= busyMs) {
    throw new RangeError(
      `${PREFIX} busyEveryMs (${everyMs}) must be longer than busyMs (${busyMs}): Claude would never recover. Infinity gives one busy spell.`,
    );
  }
  assertRange('retryAfterSeconds', options.retryAfterSeconds, 0, Number.MAX_SAFE_INTEGER);
}

function assertRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${PREFIX} ${name} must be a number, got ${String(value)}.`);
  if (value < min || value > max) {
    const upTo = max === Number.MAX_SAFE_INTEGER ? 'a finite number' : max === Infinity ? 'Infinity' : String(max);
    throw new RangeError(`${PREFIX} ${name} must be from ${min} to ${upTo}, got ${value}.`);
  }
}
