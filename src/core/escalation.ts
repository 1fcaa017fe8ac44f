/**
 * Escalation of a long busy episode, as a feature: "taking longer than usual" at 30 s, "unusual — see the status page"
 * at 30 min, "the team has been told" at 60 min, and `onEscalate` once per stage per episode for the app's alerting.
 */
import type { DemandEpisode } from './demand.js';
import type { ClaudeFeature } from './features.js';
import type { ClaudeMessages } from './messages.js';
import type { DemandLevel, EscalationStage } from './types.js';
import { createAlarm } from './util.js';

export interface EscalationOptions {
  /** "This is taking longer than usual." Defaults to 30 s. */
  slowMs?: number;
  /** "This is unusual — see the status page." Defaults to 30 min. */
  unusualMs?: number;
  /** "The team has been told." `onEscalate('contact')` is the cue to alert operators. Defaults to 60 min. */
  contactMs?: number;
  /** Called once per stage per episode. */
  onEscalate?: (stage: EscalationInfo['stage'], info: EscalationInfo) => void;
}

export interface EscalationInfo {
  stage: Exclude<EscalationStage, 'none'>;
  level: DemandLevel;
  /** Epoch ms of the episode's first failure. */
  since: number;
  /** Every request id Claude gave for a failure in this episode, oldest first: what Anthropic support asks for. */
  requestIds: string[];
  /** Failures seen in this episode. */
  failures: number;
}

/** The escalation sentences (English); override them through the provider's `messages`. */
export const escalationMessages: Pick<ClaudeMessages, 'escalationSlow' | 'escalationUnusual' | 'escalationContact'> = {
  escalationSlow: 'This is taking longer than usual.',
  escalationUnusual: "This has gone on unusually long — there may be an incident. Check Claude's status page.",
  escalationContact: "We've let the team know. You can keep waiting or come back later.",
};

const STAGES = ['slow', 'unusual', 'contact'] as const;

/**
 * Puts the episode's stage in the demand summary (`escalation`), which the banner and the toaster say, and calls
 * `onEscalate`. Offline time escalates nothing: the person knows why nothing moves.
 */
export function escalation(options: EscalationOptions = {}): ClaudeFeature {
  const after = {
    slow: options.slowMs ?? 30_000,
    unusual: options.unusualMs ?? 30 * 60_000,
    contact: options.contactMs ?? 60 * 60_000,
  };
  return {
    name: 'escalation',
    messages: escalationMessages,
    setup({ demand, clock }) {
      // One timer for the next stage, re-armed only when that moment changes.
      const arm = createAlarm(clock, demand.invalidate);
      let episode: DemandEpisode | undefined;
      let fired = new Set<string>();
      let reached: EscalationStage = 'none';
      demand.extend({
        refine(draft, context) {
          if (context.episode !== episode) fired = new Set();
          episode = context.episode;
          reached = 'none';
          let nextAt: number | undefined;
          if (episode && draft.level !== 'normal' && draft.level !== 'offline') {
            for (const stage of STAGES) {
              const at = episode.since + after[stage];
              if (at <= context.now) reached = stage;
              else nextAt ??= at;
            }
          }
          arm(nextAt);
          draft.escalation = reached;
        },
        settled(snapshot) {
          if (!episode || reached === 'none') return;
          for (const stage of STAGES) {
            if (!fired.has(stage)) {
              fired.add(stage);
              const { since, requestIds, failures } = episode;
              options.onEscalate?.(stage, { stage, level: snapshot.level, since, requestIds: [...requestIds], failures });
            }
            if (stage === reached) return;
          }
        },
        dispose: () => arm(undefined),
      });
    },
  };
}
