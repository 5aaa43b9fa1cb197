/**
 * How workers learn that images were queued, so they claim at once instead of on their next poll:
 * in-process on the embedded default, PostgreSQL's LISTEN/NOTIFY across processes. Best effort: the
 * queue still polls as a safety net.
 */
export abstract class WakeSignal {
  abstract notify(): Promise<void>;
  abstract subscribe(listener: () => void): void;
}
