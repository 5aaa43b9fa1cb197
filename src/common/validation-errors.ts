import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { ErrorDetailDto } from './dto/error-response.dto.js';

function details(errors: ValidationError[], prefix = ''): ErrorDetailDto[] {
  return errors.flatMap((error) => {
    const column = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ row: null, column, message }));
    return [...own, ...details(error.children ?? [], `${column}.`)];
  });
}

/**
 * The ValidationPipe's refusal of a parameter, query or body DTO, in the shape of every error body:
 * `{ statusCode: 400, message, errors: [{ row: null, column: <parameter>, message }] }`.
 */
export function validationException(errors: ValidationError[]): BadRequestException {
  const problems = details(errors);
  const message = problems.map((problem) => problem.message).join('; ') || 'invalid request';
  return new BadRequestException({ statusCode: 400, message, errors: problems });
}
