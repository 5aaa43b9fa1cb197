import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { WakeSignal } from './wake-signal.js';

const CHANNEL = 'pixelmill_images_queued';
const RECONNECT_MS = 1_000;

/**
 * PostgreSQL's LISTEN/NOTIFY: a producer in any process (an API instance) wakes the idle workers of
 * every other process. The listening connection is opened only where a worker subscribes, and is
 * reopened when it drops; a notification lost meanwhile costs one poll interval.
 */
@Injectable()
export class PostgresWakeSignal extends WakeSignal implements OnApplicationShutdown {
  private readonly logger = new Logger(PostgresWakeSignal.name);
  private readonly listeners: Array<() => void> = [];
  private client?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async notify(): Promise<void> {
    await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, '']);
  }

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
    if (this.listeners.length === 1) void this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    // keepAlive: a connection dropped silently (a NAT's idle timeout) ends with an error, so it is reopened.
    const client = new pg.Client({ connectionString: this.config.database.url, keepAlive: true });
    this.client = client;
    client.on('notification', () => this.listeners.forEach((listener) => listener()));
    client.on('error', (error) => this.reconnect(client, error));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      // Work may have been queued while the connection was down.
      this.listeners.forEach((listener) => listener());
    } catch (error) {
      this.reconnect(client, error as Error);
    }
  }

  private reconnect(client: pg.Client, error?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    if (error) this.logger.warn(`LISTEN connection lost (${error.message}); reconnecting`);
    client.end().catch(() => undefined);
    this.reconnectTimer = setTimeout(() => void this.listen(), RECONNECT_MS);
  }
}
