/**
 * Setup mistakes (no API key, a base URL that goes nowhere, a key Claude refuses) are the app's to fix, not
 * Claude's and not the visitor's. The server logs what is wrong once; the browser gets a 500 it can tell apart from
 * Claude's own errors (`x-claude-kit-error: not_configured`, `x-should-retry: false`), so it neither blames Claude
 * nor retries for a minute.
 */
import { KIT_ERROR_HEADER } from '../core/rules.js';
import { errorResponse } from './errors.js';
import type { StoreLogger } from './store/types.js';

export const NOT_CONFIGURED = 'not_configured';

export class SetupProblem {
  constructor(
    /** What is missing, in words safe for the browser: no key, no address, names no secret. */
    readonly missing: string,
    /** What the app's developer should do, for the server log only. */
    readonly fix: string,
    readonly requestId?: string,
  ) {}
}

export function notConfiguredResponse(problem: SetupProblem): Response {
  return errorResponse(500, 'api_error', `This app's server is not set up to reach Claude (${problem.missing}).`, {
    ...(problem.requestId ? { requestId: problem.requestId } : {}),
    headers: { 'x-should-retry': 'false', [KIT_ERROR_HEADER]: NOT_CONFIGURED },
  });
}

/** Logs each kind of setup problem once per handler: a misconfigured server should not flood its own logs. */
export function createSetupLog(logger: StoreLogger): (problem: SetupProblem) => void {
  const told = new Set<string>();
  return (problem) => {
    if (told.has(problem.missing)) return;
    told.add(problem.missing);
    logger.warn(`The Claude handler is not set up to reach Claude: ${problem.missing}. ${problem.fix}`);
  };
}
