/**
 * The simulator's options, checked when it is created. An option that the chosen mode never reads is a mistake the
 * simulator would otherwise hide: `{ busyRate: 0.5 }` without `mode: 'busy'` answers every request 200, and the app
 * in front of it never shows an overload. It is refused with the mode to choose instead.
 */
import { SIMULATOR_MODES, type SimulatorMode, type SimulatorOutcome } from './outcomes.js';

interface CheckedOptions {
  mode?: SimulatorMode;
  script?: readonly SimulatorOutcome[];
  busyRate?: number;
  calmMs?: number;
  busyMs?: number;
  retryAfterSeconds?: number;
}

const PREFIX = 'createOverloadSimulator:';

/** Which modes read each mode-bound option, and what the option does there. */
const READ_BY: Record<'busyRate' | 'calmMs' | 'busyMs' | 'retryAfterSeconds', { modes: readonly SimulatorMode[]; does: string }> = {
  busyRate: { modes: ['busy'], does: "the share of requests answered 529 in mode 'busy'" },
  calmMs: { modes: ['episodes'], does: "the calm spell between busy spells in mode 'episodes'" },
  busyMs: { modes: ['episodes'], does: "the length of a busy spell in mode 'episodes'" },
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
    const value = options[name as keyof typeof READ_BY];
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
  assertRange('calmMs', options.calmMs, 0, Number.MAX_SAFE_INTEGER);
  assertRange('busyMs', options.busyMs, 0, Number.MAX_SAFE_INTEGER);
  assertRange('retryAfterSeconds', options.retryAfterSeconds, 0, Number.MAX_SAFE_INTEGER);
}

function assertRange(name: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${PREFIX} ${name} must be a number, got ${String(value)}.`);
  if (value < min || value > max) {
    throw new RangeError(`${PREFIX} ${name} must be from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'a finite number' : max}, got ${value}.`);
  }
}
