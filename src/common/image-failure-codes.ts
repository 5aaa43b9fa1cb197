/**
 * Every code an image can fail with, in plain words: the one table the API's answers (`error_explanation`,
 * `GET /requests/:id/error-codes`), the metrics' labels and docs/api.md are checked against. Pure data:
 * no imports, so any layer may use it.
 */

export interface FailureCodeText {
  /** A few words, e.g. for a list to choose from. */
  label: string;
  /** What happened and what to do, for the person who wrote the CSV. */
  explanation: string;
}

export const IMAGE_FAILURE_CODES = {
  timeout: {
    label: 'Too slow',
    explanation:
      'The image server did not send the whole image in time (DOWNLOAD_TIMEOUT_MS). It may be slow or overloaded: retry later.',
  },
  connection_failed: {
    label: 'Could not connect',
    explanation:
      'The image server could not be reached, or it closed the connection before the image was complete. Check that the site is up, then retry.',
  },
  dns_failed: {
    label: 'Unknown host',
    explanation: 'The host name in the URL does not exist. Check the URL for a typo.',
  },
  too_large: {
    label: 'File too large',
    explanation:
      'The image file is larger than this service accepts (MAX_IMAGE_BYTES). Link a smaller image.',
  },
  too_many_redirects: {
    label: 'Too many redirects',
    explanation:
      'The URL sent the download on to another address too many times (more than MAX_REDIRECTS); it may loop. Link the image itself.',
  },
  blocked_address: {
    label: 'Private address',
    explanation:
      'The URL leads to this machine or a private network, which the service never fetches from unless its operator sets ALLOW_PRIVATE_URLS=true (for trying it with local images). Link a public image.',
  },
  invalid_url: {
    label: 'Bad redirect',
    explanation: 'The image server redirected to an address that is not http(s). Link the image itself.',
  },
  not_an_image: {
    label: 'Not an image',
    explanation:
      'The address answered with something that is not an image, often a web page (an error or login page). Link the image file itself.',
  },
  decode_error: {
    label: 'Damaged image',
    explanation:
      'The file is damaged or cut short, so it cannot be read as an image. Ask for the file again.',
  },
  too_many_pixels: {
    label: 'Too many pixels',
    explanation:
      'The image has more pixels than this service decodes (MAX_IMAGE_PIXELS). Link a smaller version.',
  },
  image_timeout: {
    label: 'Took too long to process',
    explanation:
      'Making this image web-ready took longer than this service allows (IMAGE_TIMEOUT_MS), so it was stopped. Very large or noisy images cost the most, above all as AVIF or with quality=auto: link a smaller image, or ask for JPEG or a fixed quality.',
  },
  worker_crashed: {
    label: 'Crashed the worker',
    explanation:
      'Processing this image stopped the service several times (MAX_LEASE_EXPIRIES), so it is not tried again. Tell the operator.',
  },
  internal_error: {
    label: 'Internal error',
    explanation: 'A fault in the service, not in the image; the message says what. Tell the operator.',
  },
  storage_unavailable: {
    label: 'Storage unavailable',
    explanation:
      'The output could not be stored (storage is full or unreachable). The image waits and is tried again once storage is back.',
  },
} as const satisfies Record<string, FailureCodeText>;

type ImageFailureCode = keyof typeof IMAGE_FAILURE_CODES;

/** An answer of the image server outside 2xx, by status: what it usually means for a product image. */
function httpFailure(status: number): FailureCodeText {
  const label = `HTTP ${status}`;
  if (status === 404 || status === 410) {
    return {
      label: 'Not found',
      explanation: `The image server says there is no image at this address (${label}): the link is broken or the image was removed. Fix the URL, then retry.`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      label: 'Access refused',
      explanation: `The image server refused to send the image (${label}): it needs a login or is not public. Link a public image.`,
    };
  }
  if (status === 408 || status === 429) {
    return {
      label: 'Server busy',
      explanation: `The image server asked to slow down or gave up waiting (${label}); it was retried. Retry later.`,
    };
  }
  if (status >= 500) {
    return {
      label: 'Server error',
      explanation: `The image server had a problem of its own (${label}); it was retried. Retry later, or tell the site's owner.`,
    };
  }
  return {
    label,
    explanation: `The image server answered ${label} instead of sending the image. Check the URL.`,
  };
}

/** The plain words for a stored failure code (`http_<status>` included); unknown codes get a neutral text. */
export function describeFailure(code: string): FailureCodeText {
  if (Object.hasOwn(IMAGE_FAILURE_CODES, code)) return IMAGE_FAILURE_CODES[code as ImageFailureCode];
  const status = /^http_(\d{3})$/.exec(code)?.[1];
  if (status) return httpFailure(Number(status));
  return { label: code, explanation: 'The image could not be processed; the message says why.' };
}
