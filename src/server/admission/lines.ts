/**
 * A line per model: Claude's capacity is per model, so an overload of one model closes that model's window and cuts
 * that model's limit only, while requests for another model go on. Each model gets its own instance of the one
 * admission line (its algorithm unchanged, so the Redis port still matches it); they share an order of arrival, a
 * bound on the requests waiting, and, when the app set a ceiling, an app-wide bound on calls in flight. When a slot
 * of that bound is freed, every line gets its turn, interactive waiters first, then the oldest.
 */
import { BACKGROUND_SPARE } from './background-room.js';
import { createAdmissionLine, type AdmissionLine, type AdmissionLineOptions, type LineAdmitOptions, type LinePermit, type LineRefusal, type LineStats, type SharedRoom } from './line.js';

export interface ModelLinesOptions extends Omit<AdmissionLineOptions, 'room'> {
  /** Calls in flight for all models together; a background call leaves two of them free. Defaults to no bound. */
  ceiling?: number;
}

export interface ModelLines {
  /** Admits a request to the line of `model` ('' for a request that names none). */
  admit(model: string, options?: LineAdmitOptions): Promise<LinePermit | LineRefusal>;
  /** Every model's line, by model. */
  stats(): Record<string, LineStats>;
  dispose(): void;
}

/** Idle lines kept for models no request is using: a client naming ever new models must not grow memory. */
const MAX_IDLE_LINES = 64;

export function createModelLines(options: ModelLinesOptions): ModelLines {
  const { ceiling, ...lineOptions } = options;
  const lines = new Map<string, AdmissionLine>();
  let order = 0;
  let active = 0;

  const room: SharedRoom = {
    nextOrder: () => order++,
    queued() {
      let n = 0;
      for (const line of lines.values()) n += line.stats().queued;
      return n;
    },
    queuedBy(user) {
      let n = 0;
      for (const line of lines.values()) n += line.queuedBy(user);
      return n;
    },
    mayGo(background) {
      if (ceiling === undefined) return true;
      return ceiling - active > (background ? Math.min(BACKGROUND_SPARE, ceiling - 1) : 0);
    },
    took: () => {
      active += 1;
    },
    gave() {
      active -= 1;
      // Interactive heads first, then the oldest: with a ceiling, the freed slot goes to whoever waited longest. Only
      // the lines someone waits in are listed (usually none, on every release: issue 29).
      const waiting: [AdmissionLine, readonly [number, number]][] = [];
      for (const line of lines.values()) {
        const head = line.head();
        if (head) waiting.push([line, head]);
      }
      waiting.sort(([, a], [, b]) => a[0] - b[0] || a[1] - b[1]);
      for (const [line] of waiting) line.pump();
    },
  };

  const idle = (line: AdmissionLine) => {
    const { active: calls, queued, state } = line.stats();
    // A window still closed is remembered; one that has ended is forgotten like an open line (a client naming ever
    // new models that Claude refuses once each must not grow memory either).
    return calls === 0 && queued === 0 && state !== 'closed';
  };

  function lineOf(model: string): AdmissionLine {
    let line = lines.get(model);
    if (line) return line;
    if (lines.size >= MAX_IDLE_LINES) {
      // Forget what was learnt about a model nobody is using (nothing on the wire, no window still closed).
      for (const [other, kept] of lines) {
        if (lines.size < MAX_IDLE_LINES) break;
        if (idle(kept)) {
          kept.dispose();
          lines.delete(other);
        }
      }
    }
    line = createAdmissionLine({ ...lineOptions, room });
    lines.set(model, line);
    return line;
  }

  return {
    admit: (model, admitOptions) => lineOf(model).admit(admitOptions),
    stats: () => Object.fromEntries([...lines].map(([model, line]) => [model, line.stats()])),
    dispose() {
      for (const line of lines.values()) line.dispose();
      lines.clear();
    },
  };
}
