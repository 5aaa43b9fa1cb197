/** The client closed the connection before its upload was received: nobody is left to answer. */
export class UploadAbortedError extends Error {
  constructor(reason: string) {
    super(`upload ended by the client before its body was received (${reason})`);
  }
}
