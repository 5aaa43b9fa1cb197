import { useState } from 'preact/hooks';
import { api, ApiError, type ErrorResponse } from '../api';
import { ErrorDetails } from './ErrorDetails';

/** The output fields of an upload; empty means the service's default. */
const NO_OPTIONS = { format: '', quality: '', max_width: '', max_height: '', renditions: '' };

/**
 * Drop or pick a CSV, optionally a webhook URL and output options, one button; the API's validation
 * errors shown as it names them (a bad option names its field).
 */
export function UploadForm({
  onUploaded,
  onUnauthorized,
}: {
  onUploaded: (requestId: string) => void;
  onUnauthorized: () => void;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [webhookUrl, setWebhookUrl] = useState('');
  const [options, setOptions] = useState(NO_OPTIONS);
  const [refresh, setRefresh] = useState(false);
  const option = (field: keyof typeof NO_OPTIONS) => ({
    id: `option-${field}`,
    value: options[field],
    onInput: (event: Event) =>
      setOptions({ ...options, [field]: (event.currentTarget as HTMLInputElement).value.trim() }),
  });
  const [dragging, setDragging] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ErrorResponse | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (!file) return;
    setSending(true);
    setError(null);
    try {
      const accepted = await api.upload(file, webhookUrl.trim(), {
        ...options,
        ...(refresh && { refresh: 'true' }),
      });
      onUploaded(accepted.request_id);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) return onUnauthorized();
      setError(
        failure instanceof ApiError && failure.body
          ? failure.body
          : { statusCode: 0, message: (failure as Error).message, errors: [] },
      );
    } finally {
      setSending(false);
    }
  }

  return (
    <section aria-labelledby="upload-title" class="card">
      <h1 id="upload-title">Upload a CSV</h1>
      <p class="hint">
        One row per product, with the columns <code>S. No.</code>, <code>Product Name</code> and{' '}
        <code>Input Image Urls</code> (one or more image URLs, separated by commas).
      </p>
      <form onSubmit={submit}>
        <label
          for="csv-file"
          class={`drop${dragging ? ' dragging' : ''}`}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            const dropped = event.dataTransfer?.files[0];
            if (dropped) setFile(dropped);
          }}
        >
          <span>{file ? `${file.name} (${file.size} bytes)` : 'Drop a CSV here, or choose one'}</span>
          <input
            id="csv-file"
            type="file"
            accept=".csv,text/csv"
            onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)}
          />
        </label>
        <label for="webhook-url">Webhook URL (optional)</label>
        <input
          id="webhook-url"
          type="url"
          inputMode="url"
          placeholder="https://example.com/hooks/pixelmill"
          value={webhookUrl}
          onInput={(event) => setWebhookUrl(event.currentTarget.value)}
        />
        <fieldset class="options">
          <legend>Output (optional: empty fields take the service's defaults)</legend>
          <label for="option-format">Format</label>
          <select {...option('format')}>
            <option value="">Default</option>
            <option value="jpeg">JPEG</option>
            <option value="webp">WebP</option>
            <option value="avif">AVIF (slow)</option>
          </select>
          <label for="option-quality">Quality (1–100 or auto)</label>
          <input {...option('quality')} type="text" inputMode="numeric" placeholder="50" />
          <label for="option-max_width">Max width (px)</label>
          <input {...option('max_width')} type="number" min={1} inputMode="numeric" />
          <label for="option-max_height">Max height (px)</label>
          <input {...option('max_height')} type="number" min={1} inputMode="numeric" />
          <label for="option-renditions">Renditions (e.g. 800w,thumb-400)</label>
          <input {...option('renditions')} type="text" autoComplete="off" spellcheck={false} />
          <label class="check" for="option-refresh">
            <input
              id="option-refresh"
              type="checkbox"
              checked={refresh}
              onChange={(event) => setRefresh(event.currentTarget.checked)}
            />
            Process every image again (do not reuse earlier outputs of unchanged sources)
          </label>
        </fieldset>
        <button type="submit" disabled={!file || sending}>
          {sending ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      {error && <ErrorDetails error={error} />}
    </section>
  );
}
