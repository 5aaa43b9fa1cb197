import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, authHeaders, type RequestSummary } from '../api';
import { followEvents } from '../event-stream';
import {
  exportFileName,
  formatBytes,
  formatDuration,
  formatSaving,
  formatTime,
  requestName,
  type Sample,
  throughput,
} from '../format';
import { FailedImages } from './FailedImages';
import { ImageGrid } from './ImageGrid';
import { ProgressBar } from './ProgressBar';

/** While a request processes, its page of thumbnails is read again at most this often. */
const PAGE_REFRESH_MS = 2000;

/**
 * A version number that follows `changes` (e.g. the processed count), bumped at most once per
 * `everyMs` but always after the last change (a trailing timer), and at once when `final`: what is
 * shown is never left behind the counters. Nothing is bumped before the first count arrives
 * (`changes` undefined): whatever reads on the version has just read once already.
 */
function useThrottledVersion(changes: number | undefined, final: boolean, everyMs: number): number {
  const [version, setVersion] = useState(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (changes === undefined) return;
    const bump = () => {
      timer.current = undefined;
      last.current = Date.now();
      setVersion((current) => current + 1);
    };
    const wait = last.current + everyMs - Date.now();
    if (final || wait <= 0) {
      clearTimeout(timer.current);
      bump();
    } else if (timer.current === undefined) {
      timer.current = setTimeout(bump, wait);
    }
  }, [changes, final]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return version;
}

/** One request, live: progress pushed by the server, pace and time left, bytes, images, failures, actions. */
export function RequestView({
  requestId,
  onUnauthorized,
}: {
  requestId: string;
  onUnauthorized: () => void;
}) {
  const [summary, setSummary] = useState<RequestSummary | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /** Bumped to follow the stream again (after a retry). */
  const [streamVersion, setStreamVersion] = useState(0);
  /**
   * Whether the stream followed now has said the request is finished: after a retry, the summary shown
   * is the finished one until the new stream's first event, which may say finished again at once.
   */
  const [streamFinished, setStreamFinished] = useState(false);
  const processing = summary?.status === 'processing';
  const pagesVersion = useThrottledVersion(summary?.processed_images, streamFinished, PAGE_REFRESH_MS);

  const handle = (error: unknown) => {
    if (error instanceof ApiError && error.status === 401) return onUnauthorized();
    if ((error as Error).name !== 'AbortError') setFailure((error as Error).message);
  };

  useEffect(() => {
    const abort = new AbortController();
    followEvents(`/requests/${requestId}/events`, authHeaders(), abort.signal, (event) => {
      const next = JSON.parse(event.data) as RequestSummary;
      setSummary(next);
      setStreamFinished(next.status !== 'processing');
      setSamples((previous) => [
        ...previous.slice(-200),
        { at: Date.now(), processed: next.processed_images },
      ]);
    })
      .then(async (response) => {
        if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => undefined));
      })
      .catch(handle);
    return () => abort.abort();
  }, [requestId, streamVersion]);

  async function act(action: () => Promise<void>) {
    setFailure(null);
    try {
      await action();
    } catch (error) {
      handle(error);
    }
  }

  const retry = () =>
    act(async () => {
      const accepted = await api.retry(requestId);
      setNotice(`${accepted.requeued_images} failed image(s) queued again.`);
      setSamples([]);
      setStreamFinished(false);
      setStreamVersion((version) => version + 1);
    });

  const remove = () =>
    act(async () => {
      if (!confirm('Delete this request and all its images? This cannot be undone.')) return;
      await api.remove(requestId);
      location.hash = '#/';
    });

  // Mounted at once, in the same place in both layouts: its first page loads beside the progress stream.
  const grid = (
    <ImageGrid
      key="grid"
      requestId={requestId}
      version={pagesVersion}
      finished={streamFinished}
      retries={streamVersion}
      onError={handle}
    />
  );
  if (!summary) {
    return (
      <>
        <section class="card" aria-labelledby="request-title">
          <h1 id="request-title">Request {requestId}</h1>
          {failure ? (
            <p role="alert" class="error">
              {failure}
            </p>
          ) : (
            <p>Loading…</p>
          )}
        </section>
        {null}
        {failure ? null : grid}
      </>
    );
  }

  const pace = processing ? throughput(samples, summary.total_images) : null;
  const saved = summary.input_bytes - summary.output_bytes;
  const done = summary.processed_images - summary.failed_images;
  return (
    <>
      <section class="card" aria-labelledby="request-title">
        <p>
          <a href="#/">← All requests</a>
        </p>
        <h1 id="request-title">{requestName(summary)}</h1>
        <p class="request-id">
          Request <span class="mono">{requestId}</span>
        </p>
        <p>
          <span class={`badge ${summary.status}`} data-testid="request-status">
            {summary.status.replaceAll('_', ' ')}
          </span>
        </p>
        <ProgressBar label="Progress" value={summary.processed_images} max={summary.total_images} />
        <dl class="facts">
          <div>
            <dt>Images</dt>
            <dd data-testid="progress-count">
              {summary.processed_images}/{summary.total_images}
            </dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd data-testid="failed-count">{summary.failed_images}</dd>
          </div>
          <div>
            <dt title="Done with the output an earlier request of yours made from the same unchanged source">
              Reused
            </dt>
            <dd data-testid="reused-count">{summary.reused_images}</dd>
          </div>
          <div>
            <dt>Pace</dt>
            <dd>{pace ? `${pace.perSecond.toFixed(1)} images/s` : '—'}</dd>
          </div>
          <div>
            <dt>Time left</dt>
            <dd>{pace ? formatDuration(pace.secondsLeft) : processing ? 'estimating…' : '—'}</dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>{formatTime(summary.created_at)}</dd>
          </div>
          <div>
            <dt>Completed</dt>
            <dd>{formatTime(summary.completed_at)}</dd>
          </div>
          <div>
            <dt>Input</dt>
            <dd>{formatBytes(summary.input_bytes)}</dd>
          </div>
          <div>
            <dt>Output</dt>
            <dd>{formatBytes(summary.output_bytes)}</dd>
          </div>
          <div>
            <dt>Saved in total</dt>
            <dd>
              {formatBytes(saved)}
              {formatSaving(summary.input_bytes, summary.output_bytes) &&
                ` (${formatSaving(summary.input_bytes, summary.output_bytes)})`}
            </dd>
          </div>
          <div>
            <dt>Saved per image</dt>
            <dd>{done > 0 ? formatBytes(saved / done) : '—'}</dd>
          </div>
        </dl>
        <div class="actions">
          <button
            type="button"
            onClick={() => void act(() => api.downloadCsv(requestId, exportFileName(summary)))}
            disabled={processing}
            aria-describedby={processing ? 'actions-wait' : undefined}
          >
            Download CSV
          </button>
          <button
            type="button"
            onClick={() => void retry()}
            disabled={processing || summary.failed_images === 0}
          >
            Retry failed images
          </button>
          <button
            type="button"
            class="danger"
            onClick={() => void remove()}
            disabled={processing}
            aria-describedby={processing ? 'actions-wait' : undefined}
          >
            Delete request
          </button>
        </div>
        {processing && (
          <p id="actions-wait" class="hint">
            The CSV can be downloaded, and the request deleted, once every image has finished.
          </p>
        )}
        <div role="status" aria-live="polite">
          {notice}
          {!processing && ` Finished: ${summary.status.replaceAll('_', ' ')}.`}
        </div>
        {failure && (
          <p role="alert" class="error">
            {failure}
          </p>
        )}
      </section>
      {summary.failed_images > 0 && (
        <FailedImages
          requestId={requestId}
          failedImages={summary.failed_images}
          final={!processing}
          onError={handle}
        />
      )}
      {grid}
    </>
  );
}
