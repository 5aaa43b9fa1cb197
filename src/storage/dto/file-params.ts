import { IsUUID, Matches } from 'class-validator';

export class FileParams {
  @IsUUID()
  requestId: string;

  @Matches(/^[0-9a-f-]{36}\.jpg$/, { message: 'fileName must be <image id>.jpg' })
  fileName: string;
}
