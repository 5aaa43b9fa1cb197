import { useEffect, useState } from 'preact/hooks';
import { api, type ImagePage } from '../api';

const PAGE_SIZE = 50;

/** The failed images with their URL, code and message, filtered by error code, a page at a time. */
export function FailedImages({
  requestId,
  version,
  onError,
}: {
  requestId: string;
  version: number;
  onError: (error: unknown) => void;
}) {
  const [code, setCode] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ImagePage | null>(null);
  const [codes, setCodes] = useState<string[]>([]);

  useEffect(() => {
    const filter = /^[a-z0-9_]{1,64}$/.test(code) ? code : undefined;
    api
      .images(requestId, { offset, limit: PAGE_SIZE, status: 'failed', error_code: filter })
      .then((next) => {
        setPage(next);
        setCodes((known) => [
          ...new Set([...known, ...next.images.map((image) => image.error_code ?? '').filter(Boolean)]),
        ]);
      })
      .catch(onError);
  }, [requestId, offset, code, version]);

  return (
    <section class="card" aria-labelledby="failed-title">
      <h2 id="failed-title">Failed images</h2>
      <label for="error-filter">Filter by error code</label>
      <input
        id="error-filter"
        list="error-codes"
        placeholder="e.g. http_404"
        value={code}
        onInput={(event) => {
          setCode(event.currentTarget.value.trim());
          setOffset(0);
        }}
      />
      <datalist id="error-codes">
        {codes.map((known) => (
          <option key={known} value={known} />
        ))}
      </datalist>
      {page && (
        <>
          <p>
            {page.total} failed image(s){code && ` with ${code}`}
          </p>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">URL</th>
                  <th scope="col">Code</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {page.images.map((image, index) => (
                  <tr key={offset + index}>
                    <td>{image.product_name}</td>
                    <td class="url">{image.input_url}</td>
                    <td class="mono">{image.error_code}</td>
                    <td>{image.error?.replace(`${image.error_code}: `, '')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
