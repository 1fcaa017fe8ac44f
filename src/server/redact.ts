/**
 * Keeping the API key out of everything relayed to the browser, should an upstream (a proxy, a misbehaving gateway,
 * a model asked to repeat its headers) ever echo it: bodies, streamed text split anywhere across chunks, headers.
 *
 * The key is matched in every form a JSON text can carry it: each character as itself, as a `\u` escape (hex in either
 * case) or as its short escape (`\/`), so a body holding `"\u0073k-ant-…"` cannot hand the key to a client's
 * `JSON.parse`. Encodings a client would have to decode on purpose (base64, URL encoding) are not matched.
 *
 * A key shorter than 8 characters is not a real key (a test's "x") and replacing it would mangle ordinary text, so
 * it is left alone. The playground's key is the word `simulator`, so there the word itself reads "[redacted]" in
 * relayed text: that is the price of never guessing what is a key.
 */

export const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 8;

export function redactable(secret: string | null | undefined): secret is string {
  return typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The forms one UTF-16 unit of the key may take in JSON text; the escaped ones compare without regard to case. */
function formsOf(unit: string): { exact: string; escaped: string[] } {
  const hex = unit.charCodeAt(0).toString(16).padStart(4, '0');
  const short = SHORT_ESCAPES[unit];
  return { exact: unit, escaped: short ? [`\\u${hex}`, short] : [`\\u${hex}`] };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface Matcher {
  forms: { exact: string; escaped: string[] }[];
  pattern: RegExp;
  /** The escapes an escaped form of the key starts with (`\\u`, and `\\/` for a key with a slash): a text with none of them can only hold the key as it is. */
  openers: string[];
  /** Every character any form of the key is written with (escapes in either case): a text ending in another cannot end in part of the key. */
  characters: Set<string>;
}

let cached: { secret: string; matcher: Matcher } | undefined;

function matcherFor(secret: string): Matcher {
  if (cached?.secret === secret) return cached.matcher;
  const forms = Array.from({ length: secret.length }, (_, i) => formsOf(secret[i]!));
  // A hex digit's letter in either case: `\u006B` and `\u006b` are the same character to JSON.parse.
  const caseless = (text: string) => escapeRegExp(text).replace(/[a-f]/g, (c) => `[${c}${c.toUpperCase()}]`);
  const source = forms.map(({ exact, escaped }) => `(?:${[escapeRegExp(exact), ...escaped.map(caseless)].join('|')})`).join('');
  const openers = [...new Set(forms.flatMap(({ escaped }) => escaped.map((form) => form.slice(0, 2))))];
  const characters = new Set(forms.flatMap(({ exact, escaped }) => [exact, ...escaped.flatMap((form) => [...form.toLowerCase(), ...form.toUpperCase()])]));
  const matcher = { forms, pattern: new RegExp(source, 'g'), openers, characters };
  cached = { secret, matcher };
  return matcher;
}

export function redact(text: string, secret: string | null | undefined): string {
  if (!redactable(secret)) return text;
  const matcher = matcherFor(secret);
  // The common case, no key and no escape that could start one (a JSON text's `\\n` cannot), costs a few scans.
  if (!text.includes(secret) && !matcher.openers.some((opener) => text.includes(opener))) return text;
  return text.replace(matcher.pattern, REDACTED);
}

export function redactHeaders(headers: Headers, secret: string | null | undefined): Headers {
  if (!redactable(secret)) return headers;
  const clean = new Headers();
  headers.forEach((value, name) => clean.set(name, redact(value, secret)));
  return clean;
}

/** Whether `text` from `start` to its end could be the first part of one of the key's forms. */
function couldStartKey(text: string, start: number, forms: Matcher['forms']): boolean {
  let at = start;
  for (const { exact, escaped } of forms) {
    if (at === text.length) return true;
    if (text.startsWith(exact, at)) {
      at += exact.length;
      continue;
    }
    if (text[at] !== '\\') return false;
    const rest = text.slice(at, at + 6).toLowerCase();
    const form = escaped.find((candidate) => rest.startsWith(candidate.toLowerCase()) || candidate.toLowerCase().startsWith(rest));
    if (!form) return false;
    if (rest.length <= form.length && form.toLowerCase().startsWith(rest)) return true;
    at += form.length;
  }
  // The whole key: redact() has already replaced it.
  return false;
}

/** How many characters at the end of `text` could be the start of the key (held back until the next chunk). */
function partialMatchAtEnd(text: string, secret: string): number {
  const { forms, characters } = matcherFor(secret);
  // The usual end of a chunk of SSE, a blank line, is in no form of a key: nothing to hold back, and no scan.
  if (text.length === 0 || !characters.has(text[text.length - 1]!)) return 0;
  // The longest form of the key is six characters a unit (`\u006b`).
  for (let start = Math.max(0, text.length - secret.length * 6); start < text.length; start += 1) {
    if (couldStartKey(text, start, forms)) return text.length - start;
  }
  return 0;
}

export interface StreamRedactor {
  /** Text safe to send now (possibly empty: everything it was given could still be the start of the key). */
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
