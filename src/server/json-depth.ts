/**
 * How deeply a JSON text nests, found by scanning its characters rather than by recursion, so a hostile
 * `[[[[…` of any depth costs one pass and no stack (JSON.parse and the cache key's stable stringify recurse).
 * Strings are skipped with `indexOf`: a 27 MB base64 PDF is one string, crossed at memchr speed, not a character
 * at a time (which blocked the event loop for about 100 ms).
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) i = stringEnd(text, i + 1);
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth -= 1;
  }
  return false;
}

/** The index of the quote that closes a string starting at `from` (past the end when it never closes). */
function stringEnd(text: string, from: number): number {
  for (let at = from; ; at += 1) {
    at = text.indexOf('"', at);
    if (at < 0) return text.length;
    // Escaped only after an odd run of backslashes: `\\"` closes the string, `\"` does not.
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 0x5c /* \ */) slashes += 1;
    if (slashes % 2 === 0) return at;
  }
}
