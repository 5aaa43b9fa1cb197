/** One Server-Sent Event: its name and its data, parsed as JSON. */
export interface StreamEvent {
  event: string;
  data: Record<string, any>;
}

/**
 * Opens a Server-Sent Events stream with fetch and collects its events until the server ends it (or
 * `signal` aborts). Resolves with the HTTP status, the response's headers, the events and the comments.
 */
export async function readEventStream(
  url: string,
  init: {
    headers?: Record<string, string>;
    signal?: AbortSignal;
    onEvent?: (event: StreamEvent) => void;
    onComment?: () => void;
  } = {},
): Promise<{
  status: number;
  contentType: string | null;
  events: StreamEvent[];
  comments: number;
  body?: any;
}> {
  const response = await fetch(url, { headers: init.headers, signal: init.signal });
  const contentType = response.headers.get('content-type');
  if (!contentType?.startsWith('text/event-stream')) {
    return { status: response.status, contentType, events: [], comments: 0, body: await response.json() };
  }
  const events: StreamEvent[] = [];
  let comments = 0;
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body!) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (block.startsWith(':')) {
        comments++;
        init.onComment?.();
        continue;
      }
      const field = (name: string) =>
        block
          .split('\n')
          .find((line) => line.startsWith(`${name}: `))
          ?.slice(name.length + 2);
      const event = { event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') };
      events.push(event);
      init.onEvent?.(event);
    }
  }
  return { status: response.status, contentType, events, comments };
}
