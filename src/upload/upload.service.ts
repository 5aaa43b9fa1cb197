import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Owner } from '../access/owner.js';
import { UnprocessableError } from '../common/errors/unprocessable.error.js';
import { AppConfig } from '../config/app-config.js';
import type { OutputOptions } from '../config/output-options.js';
import { type Transaction, UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents } from '../events.js';
import { type NewProduct, ProductWriter } from '../images/product-writer.js';
import { LogContext } from '../logging/log-context.js';
import { QueueCounters } from '../tasks/queue-counters.js';
import { QueueQuota } from '../tasks/queue-quota.js';
import { Task } from '../tasks/task.entity.js';
import { TasksService } from '../tasks/tasks.service.js';
import { type CsvLimits, type ParsedCsv, parseProductCsv } from './csv-parser.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';
import { UploadStaging } from './upload-staging.js';

export interface UploadCommand {
  /** Who uploads: the request belongs to it, and its Idempotency-Keys are its own. */
  owner: Owner;
  /** Whose share of the workers its images use (see queueOwnerOf). */
  queueOwner: string;
  /** The uploaded CSV, in a temporary file the caller removes. */
  csvPath: string;
  /** The name it was uploaded as, sanitised (see fileNameOf); null when there was none. */
  fileName: string | null;
  webhookUrl: string | null;
  idempotencyKey: string | null;
  /** How the request's images are written (the form's fields over the configured defaults). */
  outputOptions: OutputOptions;
}

/** The file in 64 KiB pieces, read as it is consumed. */
const readPieces = (path: string): AsyncIterable<Buffer> =>
  createReadStream(path, { highWaterMark: 64 * 1024 });

/** Validates an uploaded CSV completely while storing its rows and images; the request exists once all are stored. */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly productWriter: ProductWriter,
    private readonly quota: QueueQuota,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
    private readonly staging: UploadStaging,
    private readonly queueCounters: QueueCounters,
  ) {}

  async accept(command: UploadCommand): Promise<UploadAcceptedDto> {
    const contentHash = await this.contentHash(command);
    const replay = command.idempotencyKey && (await this.replay(command, contentHash));
    if (replay) return replay;

    const requestId = randomUUID();
    let csv: ParsedCsv;
    try {
      csv = await this.store(command, requestId, contentHash);
    } catch (error) {
      // Two uploads with one Idempotency-Key raced: the unique key let one through.
      const winner = command.idempotencyKey && (await this.replay(command, contentHash));
      if (winner) return winner;
      throw error;
    }
    LogContext.assign({ request_id: requestId });
    this.logger.log(`request ${requestId}: accepted ${csv.rowCount} row(s), ${csv.totalImages} image(s)`);
    this.events.emit(DomainEvent.RequestCreated, { requestId, totalImages: csv.totalImages });
    return this.accepted(await this.tasks.getOrFail(requestId, command.owner));
  }

  /**
   * Stores the rows while the file is read, and the task row last with the checks that decide whether
   * it may be (quota; the Idempotency-Key's unique index): a problem anywhere leaves nothing stored.
   * PostgreSQL: one transaction (its driver is asynchronous: neither the statements nor the COMMIT hold
   * the event loop, and a crash rolls it all back). SQLite: better-sqlite3 is synchronous, and the COMMIT
   * of a whole 50 MiB upload held the event loop for over a second, so each batch commits on its own and
   * UploadStaging removes the rows of an upload that fails (or of a killed process, at start).
   */
  private async store(command: UploadCommand, requestId: string, contentHash: string): Promise<ParsedCsv> {
    const writeRows = this.productWriter.writerFor(requestId);
    const createTask = async (tx: Transaction, parsed: ParsedCsv) => {
      await this.quota.reserve(tx, command.owner, parsed.totalImages);
      await this.tasks.create(tx, {
        id: requestId,
        owner: command.owner,
        totalImages: parsed.totalImages,
        webhookUrl: command.webhookUrl,
        csvHeaders: parsed.headers,
        idempotencyKey: command.idempotencyKey,
        contentHash,
        outputOptions: command.outputOptions,
        fileName: command.fileName,
      });
      const task = {
        id: requestId,
        queueOwner: command.queueOwner,
        createdAt: Date.now(),
        outputOptions: command.outputOptions,
      };
      await this.queueCounters.queued(tx, task, writeRows.queuedImages());
    };
    if (this.config.database.isPostgres) {
      return this.unitOfWork.run(async (tx) => {
        // One batch in flight: the next one is parsed while the server stores this one.
        let writing: Promise<void> = Promise.resolve();
        try {
          const parsed = await this.parse(command, async (rows) => {
            await writing;
            writing = writeRows(tx, rows);
            writing.catch(() => undefined); // awaited by the next batch or below; a failure rolls back
          });
          await writing;
          await createTask(tx, parsed);
          return parsed;
        } catch (error) {
          // A batch's statements are several (products, then images): none may follow the
          // ROLLBACK, where it would run outside the transaction and commit on its own.
          await writing.catch(() => undefined);
          throw error;
        }
      });
    }
    await this.staging.begin(requestId);
    try {
      const parsed = await this.parse(command, (rows) =>
        this.staging.writeSlice((tx) => writeRows(tx, rows)),
      );
      await this.unitOfWork.run(async (tx) => {
        await createTask(tx, parsed);
        await this.staging.finish(tx, requestId);
      });
      return parsed;
    } catch (error) {
      await this.staging.abandon(requestId);
      throw error;
    }
  }

  /** Parses and validates the uploaded file, handing its valid rows to `onRows` in batches. */
  private parse(command: UploadCommand, onRows: (rows: NewProduct[]) => Promise<void>): Promise<ParsedCsv> {
    return parseProductCsv(readPieces(command.csvPath), this.limits, { onRows });
  }

  private get limits(): CsvLimits {
    return {
      maxRows: this.config.limits.maxRows,
      maxUrlsPerRow: this.config.limits.maxUrlsPerRow,
      maxColumns: this.config.limits.maxColumns,
      maxCellBytes: this.config.limits.maxCellBytes,
      maxRecordBytes: this.config.limits.maxRecordBytes,
    };
  }

  /** Identifies the upload for Idempotency-Key: its bytes, its webhook_url and its output options. */
  private async contentHash(command: UploadCommand): Promise<string> {
    const hash = createHash('sha256');
    for await (const piece of readPieces(command.csvPath)) hash.update(piece as Buffer);
    return hash
      .update('\0')
      .update(command.webhookUrl ?? '')
      .update('\0')
      .update(JSON.stringify(command.outputOptions))
      .digest('hex');
  }

  private async replay(command: UploadCommand, contentHash: string): Promise<UploadAcceptedDto | undefined> {
    const original = await this.tasks.findByIdempotencyKey(command.owner, command.idempotencyKey!);
    if (!original) return undefined;
    if (original.contentHash !== contentHash) {
      const message =
        'this Idempotency-Key was already used with a different file, webhook_url or output options';
      throw new UnprocessableError(message, {
        problems: [{ row: null, column: 'Idempotency-Key', message }],
      });
    }
    return this.accepted(original);
  }

  private accepted(task: Task): UploadAcceptedDto {
    return {
      request_id: task.id,
      status: task.status,
      total_images: task.totalImages,
      status_url: `${this.config.server.publicUrl}/status/${task.id}`,
      export_url: `${this.config.server.publicUrl}/export-csv/${task.id}`,
    };
  }
}
