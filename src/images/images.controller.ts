import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ImagePageDto } from './dto/image-status.dto.js';
import { ImagePageQuery } from './dto/image-page-query.js';
import { ImageListing } from './image-listing.js';

@ApiTags('requests')
@Controller('requests/:request_id')
export class ImagesController {
  constructor(private readonly listing: ImageListing) {}

  @Get('images')
  @ApiOkResponse({ type: ImagePageDto, description: "One entry per input URL, in the CSV's order" })
  @ApiNotFoundResponse({ description: 'Unknown request id' })
  list(@Param('request_id') requestId: string, @Query() page: ImagePageQuery): Promise<ImagePageDto> {
    return this.listing.page(requestId, page.offset, page.limit);
  }
}
