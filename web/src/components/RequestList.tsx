import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type RequestSummary } from '../api';
import { formatBytes, formatSaving, formatTime, requestName } from '../format';
import { ProgressBar } from './ProgressBar';

/** While any listed request is processing, the list reads again this often. */
const REFRESH_MS = 3000;

/** Processing with nothing in flight yet: queued behind other work (workers are shared fairly), not stuck. */
const waitsForWorkers = (request: RequestSummary) =>
  request.status === 'processing' && request.in_flight_images === 0 && request.queued_images > 0;

/** The caller's requests, newest first, a page at a time. */
export function RequestList({ onUnauthorized }: { onUnauthorized: () => void }) {
  const [requests, setRequests] = useState<RequestSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  async function load(after?: string) {
    try {
      const page = await api.listRequests(after);
      setRequests((shown) => (after ? [...(shown ?? []), ...page.requests] : page.requests));
      setCursor(page.next_cursor);
      setFailure(null);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return onUnauthorized();
      setFailure((error as Error).message);
    }
  }

  useEffect(() => void load(), []);
  const processing = requests?.some((request) => request.status === 'processing') ?? false;
  useEffect(() => {
    if (!processing || cursor) return; // one page shown: read it again while work goes on
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [processing, cursor]);

  return (
    <section aria-labelledby="list-title" class="card">
      <h2 id="list-title">Your requests</h2>
      {failure && (
        <p role="alert" class="error">
          {failure}
        </p>
      )}
      {requests === null ? (
        <p>Loading…</p>
      ) : requests.length === 0 ? (
        <p>No requests yet: upload a CSV above.</p>
      ) : (
        <ul class="requests">
          {requests.map((request) => (
            <li key={request.request_id}>
              <a href={`#/requests/${request.request_id}`} class="request-link">
                {requestName(request)}
              </a>
              {waitsForWorkers(request) ? (
                <span class="badge queued">queued</span>
              ) : (
                <span class={`badge ${request.status}`}>{request.status.replaceAll('_', ' ')}</span>
              )}
              <span class="request-id mono">{request.request_id.slice(0, 8)}</span>
              {waitsForWorkers(request) && (
                <p class="hint">Waiting its turn behind other work: its images start as workers free up.</p>
              )}
              <ProgressBar
                label={`${requestName(request)}: progress`}
                value={request.processed_images}
                max={request.total_images}
              />
              <dl class="facts">
                <div>
                  <dt>Images</dt>
                  <dd>
                    {request.processed_images}/{request.total_images}
                    {request.failed_images > 0 && `, ${request.failed_images} failed`}
                  </dd>
                </div>
                {request.status === 'processing' && (
                  <div>
                    <dt>Now</dt>
                    <dd>
                      {request.in_flight_images} in progress, {request.queued_images} queued
                    </dd>
                  </div>
                )}
                <div>
                  <dt>Created</dt>
                  <dd>{formatTime(request.created_at)}</dd>
                </div>
                <div>
                  <dt>Completed</dt>
                  <dd>{formatTime(request.completed_at)}</dd>
                </div>
                <div>
                  <dt>Saved</dt>
                  <dd>
                    {formatBytes(request.input_bytes - request.output_bytes)}
                    {formatSaving(request.input_bytes, request.output_bytes) &&
                      ` (${formatSaving(request.input_bytes, request.output_bytes)})`}
                  </dd>
                </div>
              </dl>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <button type="button" onClick={() => void load(cursor)}>
          Show older requests
        </button>
      )}
    </section>
  );
}
