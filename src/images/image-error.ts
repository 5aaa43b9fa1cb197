/** Why an image could not be made web-ready; `code` is stable and machine-readable. */
export class ImageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
