/**
 * Keeping the API key out of everything relayed to the browser, should an upstream (a proxy, a misbehaving gateway,
 * a model asked to repeat its headers) ever echo it: bodies, streamed text split anywhere across chunks, headers.
 *
 * Only the exact key is replaced. A key shorter than 8 characters is not a real key (a test's "x") and replacing it
 * would mangle ordinary text, so it is left alone. The playground's key is the word `simulator`, so there the word
 * itself reads "[redacted]" in relayed text: that is the price of never guessing what is a key.
 */

export const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 8;

export function redactable(secret: string | null | undefined): secret is string {
  return typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH;
}

export function redact(text: string, secret: string | null | undefined): string {
  return redactable(secret) && text.includes(secret) ? text.split(secret).join(REDACTED) : text;
}

export function redactHeaders(headers: Headers, secret: string | null | undefined): Headers {
  if (!redactable(secret)) return headers;
  const clean = new Headers();
  headers.forEach((value, name) => clean.set(name, redact(value, secret)));
  return clean;
}

/** How many characters at the end of `text` could be the start of `secret` (held back until the next chunk). */
function partialMatchAtEnd(text: string, secret: string): number {
  for (let length = Math.min(secret.length - 1, text.length); length > 0; length -= 1) {
    if (text.endsWith(secret.slice(0, length))) return length;
  }
  return 0;
}

export interface StreamRedactor {
  /** Text safe to send now. */
  push(chunk: string): string;
  /** What was held back, at the end of the stream. */
  flush(): string;
}

/**
 * Redacts a stream of text. Only a tail that could still become the key is held back (usually nothing: an SSE chunk
 * ends with a blank line), so relaying stays as immediate as without redaction.
 */
export function createStreamRedactor(secret: string | null | undefined): StreamRedactor {
  if (!redactable(secret)) return { push: (chunk) => chunk, flush: () => '' };
  let held = '';
  return {
    push(chunk) {
      const text = redact(held + chunk, secret);
      const keep = partialMatchAtEnd(text, secret);
      held = text.slice(text.length - keep);
      return text.slice(0, text.length - keep);
    },
    flush() {
      const rest = held;
      held = '';
      return rest;
    },
  };
}
