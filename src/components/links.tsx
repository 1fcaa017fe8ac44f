import type { MouseEventHandler, ReactNode } from 'react';
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

/** The kit's button (banner and toaster alike): `primary` for the way on, `ghost` for the others. */
export const kitButton = (variant: 'primary' | 'ghost', label: ReactNode, onClick?: MouseEventHandler) => (
  <button type="button" className="cok-button" data-variant={variant} onClick={onClick}>
    {label}
  </button>
);
