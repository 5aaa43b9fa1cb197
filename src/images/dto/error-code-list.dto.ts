import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'ErrorCodeCount', description: 'One error code among the failed images of a request' })
export class ErrorCodeCountDto {
  @ApiProperty({ example: 'http_404', description: 'The stable machine code, as in `error_code`' })
  error_code: string;

  @ApiProperty({ type: 'integer', example: 2, description: 'Failed images with this code' })
  images: number;

  @ApiProperty({ example: 'Not found', description: 'A few words for it' })
  label: string;

  @ApiProperty({
    example:
      'The image server says there is no image at this address (HTTP 404): the link is broken or the image was removed. Fix the URL, then retry.',
    description: 'What it means, in plain words, and what to do about it',
  })
  explanation: string;
}

@ApiSchema({ name: 'ErrorCodeList', description: "The error codes of a request's failed images" })
export class ErrorCodeListDto {
  @ApiProperty({ format: 'uuid', example: '7b0e4c2a-5d1f-4e8b-9a3c-2f6d8e1b4a70' })
  request_id: string;

  @ApiProperty({
    type: [ErrorCodeCountDto],
    description: 'Each code present among the failed images, most frequent first; empty when none failed',
  })
  error_codes: ErrorCodeCountDto[];
}
