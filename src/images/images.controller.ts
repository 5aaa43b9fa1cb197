import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { RejectWhileDrainingGuard } from '../lifecycle/reject-while-draining.guard.js';
import { RetryAcceptedDto } from './dto/retry-accepted.dto.js';
import { FailedImageRetry } from './failed-image-retry.js';
import { ImagePageDto } from './dto/image-status.dto.js';
import { ImagePageQuery } from './dto/image-page-query.js';
import { ImageListing } from './image-listing.js';

@ApiTags('requests')
@Controller('requests/:request_id')
export class ImagesController {
  constructor(
    private readonly listing: ImageListing,
    private readonly failedImageRetry: FailedImageRetry,
  ) {}

  @Get('images')
  @ApiOkResponse({ type: ImagePageDto, description: "One entry per input URL, in the CSV's order" })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  list(@Param('request_id') requestId: string, @Query() page: ImagePageQuery): Promise<ImagePageDto> {
    return this.listing.page(requestId, page.offset, page.limit);
  }

  @Post('retry')
  @HttpCode(202)
  @UseGuards(RejectWhileDrainingGuard)
  @ApiAcceptedResponse({
    type: RetryAcceptedDto,
    description: 'Failed images queued again; the request is processing again',
  })
  @ApiConflictResponse({ description: 'The request has no failed images' })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  @ApiServiceUnavailableResponse({ description: 'Shutting down' })
  retry(@Param('request_id') requestId: string): Promise<RetryAcceptedDto> {
    return this.failedImageRetry.retry(requestId);
  }
}
