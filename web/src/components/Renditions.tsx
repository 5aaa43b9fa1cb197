import { useState } from 'preact/hooks';
import type { Rendition } from '../api';
import { formatBytes, srcsetOf } from '../format';

/**
 * A done image's renditions, folded under its tile: each one's link, size and bytes, and for the width
 * renditions a `srcset` to copy (selected on focus, so it can be copied by hand where the clipboard is
 * not available).
 */
export function Renditions({ renditions, id }: { renditions: Rendition[]; id: string }) {
  const srcset = srcsetOf(renditions);
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard
      .writeText(srcset ?? '')
      .then(() => setCopied(true))
      .catch(() => (document.getElementById(id) as HTMLInputElement | null)?.select());
  return (
    <details class="renditions">
      <summary>{renditions.length} renditions</summary>
      <ul aria-label="Renditions">
        {renditions.map((rendition) => (
          <li key={rendition.spec}>
            <a href={rendition.url}>{rendition.spec}</a> {rendition.width}×{rendition.height},{' '}
            {formatBytes(rendition.bytes)}
          </li>
        ))}
      </ul>
      {srcset && (
        <>
          <label for={id}>srcset</label>
          <input id={id} readOnly value={srcset} onFocus={(event) => event.currentTarget.select()} />
          <button type="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy srcset'}
          </button>
        </>
      )}
    </details>
  );
}
