'use client';

import { useClaudeQuery } from 'claude-overload-kit';
import { RELEASE_NOTES_REQUEST } from '../../lib/prompts';

/** Reads the answer the server prefetched; if the server gave up waiting, asks for it here, with the banner. */
export function Summary() {
  const { text, error, retry } = useClaudeQuery(RELEASE_NOTES_REQUEST);
  if (text) return <p data-testid="summary">{text}</p>;
  if (error) return <p data-testid="summary">Couldn't get an answer this time.</p>;
  return <p data-testid="summary">{retry.phase === 'waiting' ? 'Claude is busy; still trying…' : 'Asking Claude…'}</p>;
}
