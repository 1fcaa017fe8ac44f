/** The kit's class plus the app's: `className` adds to `cok-*`, never replaces it (the styles hang on it). */
export function cx(...names: (string | false | undefined)[]): string {
  return names.filter(Boolean).join(' ');
}
