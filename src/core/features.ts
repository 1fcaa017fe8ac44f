/**
 * Features an app imports and passes in (`createClaudeClient({ features: [escalation(), statusWatch()] })`), so that
 * what only some apps use — escalation, the status page's incidents, fallback offers — ships only to them, words
 * included. Each one extends the client's demand summary; the banner and the toaster read what the summary carries.
 */
import type { Clock } from './clock.js';
import type { DemandStore } from './demand.js';
import { mergeMessages, type ClaudeMessages } from './messages.js';

/** What a feature is given when a client is made. */
export interface FeatureHost {
  /** The client's demand summary: `extend` it, `invalidate` it when something the extension reads changes. */
  readonly demand: DemandStore;
  readonly clock: Clock;
}

export interface ClaudeFeature {
  /** What the feature is, e.g. `'escalation'`. */
  readonly name: string;
  /** The feature's words (English). The provider puts them under the app's own `messages`, which win key by key. */
  readonly messages?: Partial<ClaudeMessages>;
  /** Attaches the feature to a new client. Called once per client. */
  setup(host: FeatureHost): void;
}

/** The copy in force: `base`, then each feature's words, then the app's overrides. */
export function messagesWith(
  base: ClaudeMessages,
  features: readonly ClaudeFeature[] | undefined,
  overrides?: Partial<ClaudeMessages>,
): ClaudeMessages {
  let messages = base;
  for (const feature of features ?? []) messages = mergeMessages(messages, feature.messages);
  return mergeMessages(messages, overrides);
}
