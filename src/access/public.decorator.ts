import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'pixelmill:public';

/** No API key needed: health, metrics and the output files (their URLs are handed to anyone). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
