// claude-overload-kit/escalation — "taking longer than usual", then "unusual", then "the team has been told", and
// `onEscalate` for the app's alerting: `<ClaudeProvider features={[escalation({ onEscalate })]}>`.
export { escalation, escalationMessages, type EscalationOptions, type EscalationInfo } from '../core/escalation.js';
