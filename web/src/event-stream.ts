/** One Server-Sent Event: its name and its data. */
export interface ServerEvent {
  event: string;
  data: string;
}

/**
 * Splits a Server-Sent Events byte stream into events, as they arrive. `push` takes decoded text in
 * any chunks and returns the events it completed; comments (keep-alive lines starting with ":") are
 * dropped. Linear in the text received: each chunk is scanned once.
 */
export class EventStreamParser {
  private pending = '';
  private event = 'message';
  private data: string[] = [];

  push(text: string): ServerEvent[] {
    let received = this.pending + text;
    // A CR at the end may be the first half of a CR LF: wait for the next chunk to tell.
    const heldCr = received.endsWith('\r');
    if (heldCr) received = received.slice(0, -1);
    const lines = received.split(/\r\n|\r|\n/);
    this.pending = (lines.pop() ?? '') + (heldCr ? '\r' : '');
    const events: ServerEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.data.length > 0) events.push({ event: this.event, data: this.data.join('\n') });
        this.event = 'message';
        this.data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') this.event = value;
        else if (field === 'data') this.data.push(value);
      }
    }
    return events;
  }
}

/**
 * Reads a Server-Sent Events stream with fetch (EventSource cannot send the API key), calling `onEvent`
 * for each event until the server ends the stream or `signal` aborts.
 */
export async function followEvents(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  onEvent: (event: ServerEvent) => void,
): Promise<Response> {
  const response = await fetch(url, { headers: { ...headers, Accept: 'text/event-stream' }, signal });
  if (!response.ok || !response.body) return response;
  const parser = new EventStreamParser();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return response;
    for (const event of parser.push(value)) onEvent(event);
  }
}
