/** The fence info string that marks a shell block the docs test runs: ```bash tested */
const TESTED_BLOCK = /^```bash tested[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/** The blocks of a Markdown document marked ```bash tested, in their order. */
export function testedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(TESTED_BLOCK)].map((match) => match[1]);
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped (but - and _), spaces as dashes. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a document's headings (code blocks skipped). */
export function headingAnchors(markdown: string): Set<string> {
  const outsideCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingAnchor(match[1])));
}

/** The targets of a document's relative links, `[text](target)` (web addresses and code blocks skipped). */
export function relativeLinks(markdown: string): string[] {
  const outsideCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  return [...outsideCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z]+:/.test(target));
}
