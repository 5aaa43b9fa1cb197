import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ImagePage } from '../api';
import { formatBytes, formatSaving } from '../format';
import { Renditions } from './Renditions';

/** Images per page: a page of thumbnails loads at once, however many images the request holds. */
const PAGE_SIZE = 100;

/** A page whose images are all done or failed: while its request stays finished, it reads the same again. */
const settled = (page: ImagePage) =>
  page.images.every((image) => image.status === 'done' || image.status === 'failed');

/**
 * The request's images as thumbnails, a page at a time, each with its bytes in and out (and its renditions).
 * The first page is asked for as soon as the view opens, beside the progress stream rather than after its
 * first event (the thumbnails' requests start one round trip sooner). `version` reads the page again,
 * unless the request is `finished` and the page shown is settled (opening a finished request read its
 * first page twice: once at once, again on the stream's first event). Each of `retries` (the retries
 * asked from this view, which set `finished` back to false) reads it again whatever it shows.
 */
export function ImageGrid({
  requestId,
  version,
  finished,
  retries,
  onError,
}: {
  requestId: string;
  version: number;
  finished: boolean;
  retries: number;
  onError: (error: unknown) => void;
}) {
  /** The page asked for; `page` is the one shown, until the next one arrives. */
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ImagePage | null>(null);
  /** A read was asked whose answer is not shown yet (it may have been cancelled by a later one). */
  const reading = useRef(false);

  useEffect(() => {
    if (!reading.current && finished && page?.offset === offset && settled(page)) return;
    let current = true;
    reading.current = true;
    api
      .images(requestId, { offset, limit: PAGE_SIZE })
      .then((answer) => {
        if (!current) return;
        reading.current = false;
        setPage(answer);
      })
      .catch(onError);
    return () => {
      current = false; // an answer to an earlier question never replaces a later one
    };
  }, [requestId, offset, version, retries]);

  const total = page?.total ?? 0;
  const images = page?.images ?? null;
  // What the page shows, not what was asked for: the label and the thumbnails always agree.
  const shown = page?.offset ?? 0;
  return (
    <section class="card" aria-labelledby="images-title">
      <h2 id="images-title">Images</h2>
      <nav class="pager" aria-label="Image pages">
        <button
          type="button"
          disabled={offset === 0}
          onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}
        >
          Previous
        </button>
        <span>
          {page === null
            ? ''
            : total === 0
              ? 'No images'
              : `Images ${shown + 1}–${Math.min(shown + PAGE_SIZE, total)} of ${total}`}
        </span>
        <button
          type="button"
          disabled={offset + PAGE_SIZE >= total}
          onClick={() => setOffset(offset + PAGE_SIZE)}
        >
          Next
        </button>
      </nav>
      {images === null ? (
        <p>Loading…</p>
      ) : (
        <ul class="grid" aria-label="Images of this page">
          {images.map((image, index) => (
            <li key={`${shown + index}`} class={`tile ${image.status}`}>
              {image.thumbnail_url ? (
                <img
                  src={image.thumbnail_url}
                  alt={`${image.product_name}, image ${shown + index + 1}`}
                  loading="lazy"
                  decoding="async"
                  width={160}
                  height={160}
                />
              ) : (
                <div class="placeholder" aria-hidden="true">
                  {image.status === 'failed' ? '✕' : '…'}
                </div>
              )}
              <p class="name">{image.product_name}</p>
              <p class="meta">
                {image.status === 'done' && image.input_bytes !== null && image.output_bytes !== null
                  ? `${formatBytes(image.input_bytes)} → ${formatBytes(image.output_bytes)} (−${formatSaving(image.input_bytes, image.output_bytes)})`
                  : image.status === 'failed'
                    ? `failed: ${image.error_code}`
                    : image.status}
              </p>
              {image.renditions && (
                <Renditions renditions={image.renditions} id={`srcset-${shown + index}`} />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
