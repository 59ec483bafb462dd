/**
 * Quotes a string for a POSIX shell, local or remote: nothing inside single quotes is special,
 * so every byte (spaces, quotes, `$()`, `;`, newlines, unicode) arrives as it was.
 */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
