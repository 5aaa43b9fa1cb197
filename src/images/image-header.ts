import type { ImageHeader } from './image-pipeline.js';

/**
 * An image's header read from its first bytes in JavaScript, for the two formats most catalogs are
 * made of: a JPEG's frame header (SOF) and a PNG's IHDR. Undefined for anything else, or for anything
 * unusual in them (no frame header before the scan, a height given later by a DNL marker, a segment
 * running past the bytes): sharp's `metadata()` then reads the header, as it does for every other
 * format. The same facts as sharp's for these inputs (as stored, before EXIF orientation), without a
 * trip through libuv's pool and libvips' loader: sharp's read costs ~0.4 ms of CPU a small image, 3 %
 * of its whole making. (The `image-size` package reads sizes alone: not the channels, sample depth and
 * progressive or interlaced layout the working-memory estimate needs.)
 */
export function parseHeader(input: Buffer): ImageHeader | undefined {
  if (input.length >= 4 && input[0] === 0xff && input[1] === 0xd8 && input[2] === 0xff)
    return jpegHeader(input);
  if (input.length >= PNG_HEADER_BYTES && input.subarray(0, 8).equals(PNG_SIGNATURE)) return pngHeader(input);
  return undefined;
}

/** Start-of-frame markers (SOF0–SOF15, less DHT C4, JPG C8 and DAC CC), and the progressive ones among them. */
const FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const PROGRESSIVE_MARKERS = new Set([0xc2, 0xc6, 0xca, 0xce]);
const START_OF_SCAN = 0xda;

/** Walks the marker segments from SOI to the frame header; gives up at the scan, at an odd marker or at the end of the bytes. */
function jpegHeader(input: Buffer): ImageHeader | undefined {
  let offset = 2;
  while (offset + 4 <= input.length) {
    if (input[offset] !== 0xff) return undefined;
    const marker = input[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    // Every marker before the frame header has a length (APPn, COM, DQT, DHT, DRI…); a scan or a
    // stand-alone marker there is not what a JPEG sharp reads looks like: sharp decides.
    if (marker === START_OF_SCAN || marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7))
      return undefined;
    const length = input.readUInt16BE(offset + 2);
    if (length < 2) return undefined;
    if (FRAME_MARKERS.has(marker)) {
      if (length < 8 || offset + 10 > input.length) return undefined;
      const precision = input[offset + 4];
      const height = input.readUInt16BE(offset + 5);
      const width = input.readUInt16BE(offset + 7);
      const components = input[offset + 9];
      if (width === 0 || height === 0 || components === 0) return undefined;
      return {
        width,
        height,
        channels: components,
        bytesPerSample: precision > 8 ? 2 : 1,
        format: 'jpeg',
        interlaced: PROGRESSIVE_MARKERS.has(marker),
      };
    }
    offset += 2 + length;
  }
  return undefined;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Signature, then the IHDR chunk's length, type and its 13 bytes. */
const PNG_HEADER_BYTES = 8 + 8 + 13;

/**
 * Bands as decoded, per PNG colour type, counting the alpha a tRNS chunk may add (grey 0, RGB 2 and
 * palette 3 gain one; grey+alpha 4 and RGBA 6 have it): an upper bound, read without walking the chunks.
 */
const PNG_CHANNELS: Record<number, number> = { 0: 2, 2: 4, 3: 4, 4: 2, 6: 4 };

function pngHeader(input: Buffer): ImageHeader | undefined {
  if (input.toString('latin1', 12, 16) !== 'IHDR' || input.readUInt32BE(8) !== 13) return undefined;
  const width = input.readUInt32BE(16);
  const height = input.readUInt32BE(20);
  const channels = PNG_CHANNELS[input[25]];
  if (width === 0 || height === 0 || channels === undefined) return undefined;
  return {
    width,
    height,
    channels,
    bytesPerSample: input[24] === 16 ? 2 : 1,
    format: 'png',
    interlaced: input[28] === 1,
  };
}
