import type { ClaudeMessages } from '../core/messages.js';

/** Inline, so the hint stays hidden for sighted users even without styles.css. */
export const visuallyHidden = {
  position: 'absolute',
  width: 1,
  height: 1,
  margin: -1,
  padding: 0,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
  border: 0,
} as const;

/** A link to a page outside the app, in a new tab, saying so to screen readers. */
export function ExternalLink({ href, label, messages }: { href: string; label: string; messages: ClaudeMessages }) {
  return (
    <a className="cok-link" href={href} target="_blank" rel="noreferrer">
      {label}
      <span style={visuallyHidden}> {messages.opensInNewTab}</span>
    </a>
  );
}
