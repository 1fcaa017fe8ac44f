import { createOverloadSimulator, createStatusPageSimulator, SIMULATOR_MODES, type SimulatorMode } from 'claude-overload-kit/testing';

const MODES = SIMULATOR_MODES;

/**
 * Without ANTHROPIC_API_KEY (development, CI) the route handlers talk to the kit's simulators instead of Anthropic:
 * no key, no network. CLAUDE_SIMULATOR sets Claude's load: normal (the default), episodes (a 10 s busy spell 3 s after
 * the first request, every minute), busy, outage, rate-limited or broken-streams.
 */
export const simulated = !process.env.ANTHROPIC_API_KEY;

function simulatorMode(): SimulatorMode {
  const mode = process.env.CLAUDE_SIMULATOR ?? 'normal';
  if (!MODES.includes(mode as SimulatorMode)) {
    throw new Error(`CLAUDE_SIMULATOR=${mode} is not a simulator mode; use one of ${MODES.join(', ')}`);
  }
  return mode as SimulatorMode;
}

/** A fake Claude: an Anthropic-compatible Messages API with 529s on demand; streams spread over a second. */
export const claudeSimulator = () => createOverloadSimulator({ mode: simulatorMode(), latencyMs: 200, serviceTimeMs: 1_000 });

/** A fake status page (status.claude.com's JSON), all operational. */
export const statusPageSimulator = () => createStatusPageSimulator();
