import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type ErrorCodeCount, type ImagePage } from '../api';

const PAGE_SIZE = 50;
const COLUMNS = ['Product', 'URL', 'What went wrong', 'Code and message'] as const;

/** A cell that names its column, for the phone layout where the header row is not shown. */
function Cell({
  label,
  class: className,
  children,
}: {
  label: (typeof COLUMNS)[number];
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <td class={className} role="cell">
      <span class="cell-label" aria-hidden="true">
        {label}
      </span>
      {children}
    </td>
  );
}

/**
 * The failed images with their URL and what went wrong, in plain words beside the code, a page at a
 * time; filtered by one of the codes present. Read again whenever the request's failed count changes,
 * so the table and the counter above it agree while the request runs.
 */
export function FailedImages({
  requestId,
  failedImages,
  final,
  onError,
}: {
  requestId: string;
  /** The request's counter: the table follows it. */
  failedImages: number;
  final: boolean;
  onError: (error: unknown) => void;
}) {
  const [code, setCode] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ImagePage | null>(null);
  const [codes, setCodes] = useState<ErrorCodeCount[]>([]);

  useEffect(() => {
    api
      .errorCodes(requestId)
      .then((list) => {
        setCodes(list.error_codes);
        if (code && !list.error_codes.some((known) => known.error_code === code)) setCode('');
      })
      .catch(onError);
  }, [requestId, failedImages, final]);

  useEffect(() => {
    api
      .images(requestId, { offset, limit: PAGE_SIZE, status: 'failed', error_code: code || undefined })
      .then(setPage)
      .catch(onError);
  }, [requestId, offset, code, failedImages, final]);

  const chosen = codes.find((known) => known.error_code === code);
  return (
    <section class="card" aria-labelledby="failed-title">
      <h2 id="failed-title">Failed images</h2>
      <label for="error-filter">Show</label>
      <select
        id="error-filter"
        value={code}
        onChange={(event) => {
          setCode(event.currentTarget.value);
          setOffset(0);
        }}
      >
        <option value="">Every failed image</option>
        {codes.map((known) => (
          <option key={known.error_code} value={known.error_code}>
            {known.label} ({known.error_code}): {known.images}
          </option>
        ))}
      </select>
      {page && (
        <>
          <p data-testid="failed-shown">
            {chosen
              ? `${page.total} of ${failedImages} failed image(s): ${chosen.label.toLowerCase()} (${chosen.error_code})`
              : `${page.total} failed image(s)`}
          </p>
          {/* Explicit roles: the phone layout changes the table's display, which would drop its semantics. */}
          <table class="stacked" role="table">
            <thead role="rowgroup">
              <tr role="row">
                {COLUMNS.map((column) => (
                  <th key={column} scope="col" role="columnheader">
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody role="rowgroup">
              {page.images.map((image, index) => (
                <tr key={offset + index} role="row">
                  <Cell label="Product">{image.product_name}</Cell>
                  <Cell label="URL" class="url">
                    {image.input_url}
                  </Cell>
                  <Cell label="What went wrong">{image.error_explanation}</Cell>
                  <Cell label="Code and message">
                    <span class="mono">{image.error_code}</span>
                    <span class="technical">{image.error?.replace(`${image.error_code}: `, '')}</span>
                  </Cell>
                </tr>
              ))}
            </tbody>
          </table>
          {page.total > PAGE_SIZE && (
            <nav class="pager" aria-label="Failed image pages">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(offset - PAGE_SIZE)}>
                Previous
              </button>
              <button
                type="button"
                disabled={offset + PAGE_SIZE >= page.total}
                onClick={() => setOffset(offset + PAGE_SIZE)}
              >
                Next
              </button>
            </nav>
          )}
        </>
      )}
    </section>
  );
}
