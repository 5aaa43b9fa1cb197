/** Longest piece of the client's input quoted back in an error. */
export const EXCERPT_CHARS = 60;

/** A short, printable excerpt of client text for an error message (never the whole input). */
export function excerpt(text: string, chars = EXCERPT_CHARS): string {
  return text.length > chars ? `${JSON.stringify(text.slice(0, chars))}…` : JSON.stringify(text);
}

/** A column name as errors show it: client text, so cut short. */
export function shortColumnName(name: string): string {
  return name.length > EXCERPT_CHARS ? `${name.slice(0, EXCERPT_CHARS)}…` : name;
}
