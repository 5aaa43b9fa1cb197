import { useEffect, useState } from 'preact/hooks';
import { api, type ImageStatus } from '../api';
import { formatBytes, formatSaving } from '../format';
import { Renditions } from './Renditions';

/** Images per page: a page of thumbnails loads at once, however many images the request holds. */
const PAGE_SIZE = 100;

/** The request's images as thumbnails, a page at a time, each with its bytes in and out (and its renditions). */
export function ImageGrid({
  requestId,
  total,
  version,
  onError,
}: {
  requestId: string;
  total: number;
  version: number;
  onError: (error: unknown) => void;
}) {
  const [offset, setOffset] = useState(0);
  const [images, setImages] = useState<ImageStatus[] | null>(null);

  useEffect(() => {
    api
      .images(requestId, { offset, limit: PAGE_SIZE })
      .then((page) => setImages(page.images))
      .catch(onError);
  }, [requestId, offset, version]);

  const last = Math.min(offset + PAGE_SIZE, total);
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
        <span>{total === 0 ? 'No images' : `Images ${offset + 1}–${last} of ${total}`}</span>
        <button type="button" disabled={last >= total} onClick={() => setOffset(offset + PAGE_SIZE)}>
          Next
        </button>
      </nav>
      {images === null ? (
        <p>Loading…</p>
      ) : (
        <ul class="grid" aria-label="Images of this page">
          {images.map((image, index) => (
            <li key={`${offset + index}`} class={`tile ${image.status}`}>
              {image.thumbnail_url ? (
                <img
                  src={image.thumbnail_url}
                  alt={`${image.product_name}, image ${offset + index + 1}`}
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
                <Renditions renditions={image.renditions} id={`srcset-${offset + index}`} />
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
