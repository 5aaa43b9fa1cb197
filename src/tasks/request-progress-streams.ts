import { type BeforeApplicationShutdown, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { Response } from 'express';
import type { Owner } from '../access/owner.js';
import { UnavailableError } from '../common/errors/unavailable.error.js';
import { AppConfig } from '../config/app-config.js';
import { RequestSummaryDto } from './dto/request-status.dto.js';
import { QueueCounters, type TaskQueueState } from './queue-counters.js';
import type { Task } from './task.entity.js';
import { TasksService } from './tasks.service.js';
import { TooManyStreamsError } from './too-many-streams.error.js';

/** Requests read per statement when the open streams are polled. */
const POLL_BATCH = 500;

interface ProgressStream {
  requestId: string;
  /** Who opened it (see callerIdentity), for SSE_MAX_STREAMS_PER_KEY. */
  client: string;
  res: Response;
  /** The last event sent, as written: an event is sent only when the request changed. */
  last: string;
}

/**
 * `GET /requests/:id/events`: Server-Sent Events of a request's counters, read from the database (so they
 * move whichever process does the work). One timer polls every open stream's request at once, every
 * SSE_POLL_MS, and writes a `progress` event to a stream whose request changed; a finished request gets a
 * `completed` event and its stream ends (a deleted one's simply ends). Idle streams get a comment every
 * SSE_HEARTBEAT_MS so proxies keep them open; at most SSE_MAX_STREAMS are open in this process, and at most
 * SSE_MAX_STREAMS_PER_KEY of them for one client, so one client cannot take every stream.
 */
@Injectable()
export class RequestProgressStreams implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(RequestProgressStreams.name);
  private readonly streams = new Set<ProgressStream>();
  /** Open streams per client; a client with none has no entry. */
  private readonly perClient = new Map<string, number>();
  private pollTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly tasks: TasksService,
    private readonly config: AppConfig,
    private readonly queueCounters: QueueCounters,
  ) {}

  onModuleInit(): void {
    this.pollTimer = setInterval(() => void this.poll(), this.config.progress.pollMs);
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.config.progress.heartbeatMs);
  }

  /** Ends every stream, so the HTTP server can close. */
  beforeApplicationShutdown(): void {
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    for (const stream of this.streams) stream.res.end();
    this.streams.clear();
    this.perClient.clear();
  }

  /**
   * 404 for a request the caller cannot see, 503 when this process has SSE_MAX_STREAMS open, 429 when the
   * client has SSE_MAX_STREAMS_PER_KEY open; else streams its progress.
   */
  async open(requestId: string, owner: Owner, client: string, res: Response): Promise<void> {
    const task = await this.tasks.getOrFail(requestId, owner);
    if (this.streams.size >= this.config.progress.maxStreams) {
      throw new UnavailableError('too many progress streams open (SSE_MAX_STREAMS); try again later');
    }
    if ((this.perClient.get(client) ?? 0) >= this.config.progress.maxStreamsPerKey) {
      throw new TooManyStreamsError(this.config.progress.maxStreamsPerKey);
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      'X-Accel-Buffering': 'no', // nginx: pass each event on at once
    });
    res.flushHeaders();
    const stream: ProgressStream = { requestId, client, res, last: '' };
    this.streams.add(stream);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    res.on('close', () => this.forget(stream));
    this.send(stream, task, (await this.queueCounters.statesOf([requestId])).get(requestId));
  }

  private async poll(): Promise<void> {
    if (this.polling || this.streams.size === 0) return;
    this.polling = true;
    try {
      const streams = [...this.streams];
      const ids = [...new Set(streams.map((stream) => stream.requestId))];
      const found = new Map<string, Task>();
      const queues = new Map<string, TaskQueueState>();
      for (let start = 0; start < ids.length; start += POLL_BATCH) {
        const batch = ids.slice(start, start + POLL_BATCH);
        for (const task of await this.tasks.findByIds(batch)) found.set(task.id, task);
        for (const [id, queue] of await this.queueCounters.statesOf(batch)) queues.set(id, queue);
      }
      for (const stream of streams) {
        const task = found.get(stream.requestId);
        if (task) this.send(stream, task, queues.get(stream.requestId));
        else this.end(stream);
      }
    } catch (error) {
      this.logger.warn(`reading the progress of open streams: ${(error as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private send(stream: ProgressStream, task: Task, queue: TaskQueueState | undefined): void {
    if (!this.streams.has(stream)) return;
    const finished = task.status !== 'processing';
    const event = `event: ${finished ? 'completed' : 'progress'}\ndata: ${JSON.stringify(RequestSummaryDto.from(task, queue))}\n\n`;
    if (event === stream.last) return;
    stream.last = event;
    stream.res.write(event);
    if (finished) this.end(stream);
  }

  private end(stream: ProgressStream): void {
    this.forget(stream);
    stream.res.end();
  }

  /** Stops counting a stream (once, however often it is ended or closed). */
  private forget(stream: ProgressStream): void {
    if (!this.streams.delete(stream)) return;
    const left = (this.perClient.get(stream.client) ?? 1) - 1;
    if (left > 0) this.perClient.set(stream.client, left);
    else this.perClient.delete(stream.client);
  }

  private heartbeat(): void {
    for (const stream of this.streams) stream.res.write(': keep-alive\n\n');
  }
}
