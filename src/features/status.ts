// claude-overload-kit/status — Anthropic's status page in the banner: `<ClaudeProvider features={[statusWatch()]}>`,
// then `useAnthropicStatus()` somewhere inside it to read the app's status route.
export { statusWatch, statusMessages, createIncidentWatch, setIncident, incidentOf, type IncidentWatch, type IncidentWatchOptions } from '../core/incident-watch.js';
export { useAnthropicStatus, type AnthropicStatusOptions, type AnthropicStatusResult } from '../react/useAnthropicStatus.js';
