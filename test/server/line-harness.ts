// A memory admission line on a hand clock, for the line's tests: records who was granted, in order.
import { createAdmissionLine, type AdmissionLineOptions, type LinePermit, type LineRefusal } from '../../src/server/admission/line.js';
import { createHandClock } from './hand-clock.js';

export const OK = { status: 200 };
export const OVERLOADED = { status: 529, pressure: true };
export const isGrant = (x: LinePermit | LineRefusal): x is LinePermit => 'release' in x;

export function setupLine(options: Partial<AdmissionLineOptions> = {}) {
  const clock = createHandClock();
  let ticket = 0;
  const line = createAdmissionLine({ clock, newTicket: () => `t${++ticket}`, ...options });
  const granted: LinePermit[] = [];
  const order: string[] = [];
  /** Joins and records the grant; resolves with the outcome. */
  const admit = (name: string, more: Parameters<typeof line.admit>[0] = {}) =>
    line.admit(more).then((outcome) => {
      if (isGrant(outcome)) {
        granted.push(outcome);
        order.push(name);
      }
      return outcome;
    });
  /** Claude answers the oldest call in flight; the next waiter goes. */
  const answerOne = async () => {
    granted.shift()!.release(OK);
    await clock.advance(0);
  };
  return { clock, line, granted, order, admit, answerOne };
}
