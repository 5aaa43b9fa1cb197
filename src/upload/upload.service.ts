import { Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Owner } from '../access/owner.js';
import { AppConfig } from '../config/app-config.js';
import type { OutputOptions } from '../config/output-options.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { DomainEvent, DomainEvents } from '../events.js';
import { ImagesService } from '../images/images.service.js';
import { LogContext } from '../logging/log-context.js';
import { QueueQuota } from '../tasks/queue-quota.js';
import { Task } from '../tasks/task.entity.js';
import { TasksService } from '../tasks/tasks.service.js';
import { type ParsedCsv, parseProductCsv } from './csv-parser.js';
import { UploadAcceptedDto } from './dto/upload-accepted.dto.js';

export interface UploadCommand {
  /** Who uploads: the request belongs to it, and its Idempotency-Keys are its own. */
  owner: Owner;
  /** The uploaded CSV, in a temporary file the caller removes. */
  csvPath: string;
  webhookUrl: string | null;
  idempotencyKey: string | null;
  /** How the request's images are written (the form's fields over the configured defaults). */
  outputOptions: OutputOptions;
}

/** The file in 64 KiB pieces, read as it is consumed. */
const readPieces = (path: string): AsyncIterable<Buffer> =>
  createReadStream(path, { highWaterMark: 64 * 1024 });

/** Validates an uploaded CSV completely, then stores the request, its rows and images in one transaction. */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);

  constructor(
    private readonly tasks: TasksService,
    private readonly images: ImagesService,
    private readonly quota: QueueQuota,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: DomainEvents,
    private readonly config: AppConfig,
  ) {}

  async accept(command: UploadCommand): Promise<UploadAcceptedDto> {
    const contentHash = await this.contentHash(command);
    const replay = command.idempotencyKey && (await this.replay(command, contentHash));
    if (replay) return replay;

    const requestId = randomUUID();
    const limits = {
      maxRows: this.config.maxRows,
      maxUrlsPerRow: this.config.maxUrlsPerRow,
      maxColumns: this.config.maxColumns,
      maxCellBytes: this.config.maxCellBytes,
      maxRecordBytes: this.config.maxRecordBytes,
    };
    let csv: ParsedCsv;
    try {
      // Rows are stored while the file is read; a problem anywhere rolls the whole request back.
      csv = await this.unitOfWork.run(async (tx) => {
        const parsed = await parseProductCsv(readPieces(command.csvPath), limits, {
          onRows: this.images.productWriter(tx, requestId),
        });
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
        });
        return parsed;
      });
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
      throw new UnprocessableEntityException({
        message,
        errors: [{ row: null, column: 'Idempotency-Key', message }],
      });
    }
    return this.accepted(original);
  }

  private accepted(task: Task): UploadAcceptedDto {
    return {
      request_id: task.id,
      status: task.status,
      total_images: task.totalImages,
      status_url: `${this.config.publicUrl}/status/${task.id}`,
      export_url: `${this.config.publicUrl}/export-csv/${task.id}`,
    };
  }
}
