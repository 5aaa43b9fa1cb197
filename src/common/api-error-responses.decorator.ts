import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from './dto/error-response.dto.js';

export interface ErrorResponseDescription {
  description: string;
  /** The `message` of the example body (default: the description); `column` for its one error entry. */
  message?: string;
  column?: string;
}

/**
 * Declares the error answers an operation can give, each with the one error body (`ErrorResponse`)
 * and an example of it for that status.
 */
export function ApiErrorResponses(
  responses: Record<number, string | ErrorResponseDescription>,
): MethodDecorator {
  return applyDecorators(
    ...Object.entries(responses).map(([status, described]) => {
      const {
        description,
        message = description,
        column = null,
      } = typeof described === 'string' ? { description: described } : described;
      return ApiResponse({
        status: Number(status),
        description,
        type: ErrorResponseDto,
        example: { statusCode: Number(status), message, errors: [{ row: null, column, message }] },
      });
    }),
  );
}
