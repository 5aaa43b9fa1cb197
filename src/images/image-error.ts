/** Why an image could not be made web-ready; `code` is stable and machine-readable. */
export class ImageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** An image whose making outlasted IMAGE_TIMEOUT_MS (see ImageAdmission and ImagePipeline). */
export function imageTimeout(timeoutMs: number): ImageError {
  return new ImageError(
    'image_timeout',
    `making the image web-ready took longer than IMAGE_TIMEOUT_MS (${timeoutMs} ms); it was stopped`,
  );
}
