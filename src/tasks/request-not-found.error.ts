import { NotFoundException } from '@nestjs/common';

export class RequestNotFoundError extends NotFoundException {
  constructor(requestId: string) {
    super(`request ${requestId} not found`);
  }
}
