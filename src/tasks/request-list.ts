import { Injectable } from '@nestjs/common';
import type { Owner } from '../access/owner.js';
import { InvalidInputError } from '../common/errors/invalid-input.error.js';
import { type RequestListDto } from './dto/request-list.dto.js';
import { RequestSummaryDto } from './dto/request-status.dto.js';
import { QueueCounters } from './queue-counters.js';
import type { Task } from './task.entity.js';
import { TasksService } from './tasks.service.js';

/** `GET /requests`: the caller's requests, newest first, a page at a time (keyset cursor: stable while new ones arrive). */
@Injectable()
export class RequestList {
  constructor(
    private readonly tasks: TasksService,
    private readonly queueCounters: QueueCounters,
  ) {}

  async page(owner: Owner, limit: number, cursor?: string): Promise<RequestListDto> {
    const tasks = await this.tasks.page(
      owner,
      limit + 1,
      cursor === undefined ? undefined : decodeCursor(cursor),
    );
    const shown = tasks.slice(0, limit);
    const queue = await this.queueCounters.statesOf(shown.map((task) => task.id));
    return {
      requests: shown.map((task) => RequestSummaryDto.from(task, queue.get(task.id))),
      next_cursor: tasks.length > limit ? encodeCursor(shown[shown.length - 1]) : null,
    };
  }
}

const encodeCursor = (task: Task) => Buffer.from(`${task.createdAt}.${task.id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidInputError('cursor must be the next_cursor of a previous page');
  return { createdAt: Number(match[1]), id: match[2] };
}
