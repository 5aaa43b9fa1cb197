import type { Owner } from '../access/owner.js';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { describeFailure } from '../common/image-failure-codes.js';
import { TasksService } from '../tasks/tasks.service.js';
import { ErrorCodeListDto } from './dto/error-code-list.dto.js';
import { Image } from './image.entity.js';

/** Which error codes a request's failed images have, how many of each, and what each means. */
@Injectable()
export class ErrorCodeSummary {
  constructor(
    private readonly tasks: TasksService,
    @InjectRepository(Image) private readonly images: Repository<Image>,
  ) {}

  async of(requestId: string, owner: Owner): Promise<ErrorCodeListDto> {
    await this.tasks.getOrFail(requestId, owner);
    // One grouped count over the request's failed images (their partial index by (task_id, error_code) holds them).
    const rows = await this.images
      .createQueryBuilder('image')
      .select('image.error_code', 'code')
      .addSelect('COUNT(*)', 'images')
      .where('image.task_id = :requestId', { requestId })
      .andWhere("image.status = 'failed'")
      .andWhere('image.error_code IS NOT NULL')
      .groupBy('image.error_code')
      .getRawMany<{ code: string; images: number | string }>();
    const counts = rows
      .map((row) => ({ code: row.code, images: Number(row.images) }))
      .sort((a, b) => b.images - a.images || a.code.localeCompare(b.code));
    return {
      request_id: requestId,
      error_codes: counts.map(({ code, images }) => ({
        error_code: code,
        images,
        ...describeFailure(code),
      })),
    };
  }
}
