// Splits an MJPEG byte stream (JPEGs back to back, as rpicam-vid and `ffmpeg -f mjpeg` write
// them) into single JPEGs. Pure: bytes in, frames out.
//
// Header segments are walked by their lengths up to SOS, so an EXIF thumbnail (a whole JPEG,
// FFD8…FFD9, inside APP1) is skipped rather than mistaken for a frame boundary. Inside
// entropy-coded data 0xFF is always followed by 0x00 (byte stuffing), RST0-7 or a real marker,
// so scanning for 0xFF with indexOf finds the EOI without looking at every byte in JS.
// A frame's bytes are kept as views into the incoming chunks and copied once, when complete.
//
// Resynchronising: an SOI where a frame cannot go on (inside the scan, or inside a header
// segment other than APPn) starts a new frame; bytes that cannot be JPEG where a marker must
// be make the splitter search again from just after the false SOI. A frame cut inside an APPn
// segment and followed at once by the next frame looks like a thumbnail, though: that next
// frame may be lost, or come out behind the cut header.
//
// The splitter keeps at most maxFrameBytes of a frame (plus the chunk being read).

import { EOI, SOI, SOS, isStandaloneMarker, isStartOfFrame } from '../../common/jpeg.js';

export interface SplitterStats {
  /** Complete JPEGs returned. */
  frames: number;
  /** Bytes not returned in any JPEG: garbage between frames, broken and oversized frames. */
  discardedBytes: number;
  /** Frames abandoned because a new SOI cut them short or their header was not JPEG. */
  brokenFrames: number;
  /** Frames dropped for growing past maxFrameBytes. */
  oversizedFrames: number;
}

const SEEK = 0; // looking for SOI
const MARKER = 1; // in the header, expecting 0xFF and a marker code
const LENGTH = 2; // reading a segment's 2-byte length
const SKIP = 3; // skipping a segment's payload
const SCAN = 4; // in entropy-coded data, looking for the next marker
type State = typeof SEEK | typeof MARKER | typeof LENGTH | typeof SKIP | typeof SCAN;

const FF = Buffer.from([0xff]);
const SOI_BYTES = Buffer.from([0xff, SOI]);

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class MjpegSplitter {
  readonly stats: SplitterStats = { frames: 0, discardedBytes: 0, brokenFrames: 0, oversizedFrames: 0 };
  private state: State = SEEK;
  /** The last byte seen was an 0xFF whose marker code has not been seen yet. */
  private ff = false;
  /** Pieces of the frame in progress from earlier chunks (views, not copies). */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** The frame in progress has had its SOF: a second one means two frames ran together. */
  private sawSof = false;
  /** The frame in progress has reached SOS: an EOI before that does not end an image. */
  private scanned = false;
  /** First byte of a segment length that ended a chunk, or -1. */
  private lengthHigh = -1;
  private skip = 0;
  /** The segment being skipped is not APPn: an SOI inside it is the start of another frame. */
  private soiInSegmentIsNewFrame = false;
  private afterSkip: State = MARKER;

  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Bytes held for an unfinished frame (or a last 0xFF that may start one); lost if the stream ends here. */
  get pendingBytes(): number {
    return this.state === SEEK ? Number(this.ff) : this.partsBytes;
  }

  /** Feeds the next chunk of the stream; returns the JPEGs it completes, in order (copies). */
  push(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let chunk = input;
    let pos = 0;
    let start = 0; // where the frame in progress begins in this chunk
    let ffAt = -1; // index of the pending 0xFF in this chunk; -1 when it ended the previous one

    while (pos < chunk.length) {
      if (this.state !== SEEK && this.partsBytes + (pos - start) > this.maxFrameBytes) {
        this.stats.oversizedFrames++;
        this.stats.discardedBytes += this.partsBytes + (pos - start);
        this.dropFrame();
        continue;
      }
      let code = -1; // a marker code read in this step, handled below the switch
      switch (this.state) {
        case SEEK: {
          if (this.ff) {
            this.ff = false;
            if (chunk[pos] === SOI) {
              this.beginFrame(true);
              start = pos;
              pos += 1;
              break;
            }
            this.stats.discardedBytes += 1;
          }
          const i = chunk.indexOf(SOI_BYTES, pos);
          if (i < 0) {
            this.ff = chunk[chunk.length - 1] === 0xff;
            this.stats.discardedBytes += chunk.length - pos - (this.ff ? 1 : 0);
            pos = chunk.length;
            break;
          }
          this.stats.discardedBytes += i - pos;
          this.beginFrame(false);
          start = i;
          pos = i + 2;
          break;
        }
        case MARKER: {
          const b = chunk[pos++];
          if (this.ff && b !== 0xff) {
            this.ff = false;
            code = b!;
          } else if (b === 0xff) {
            this.ff = true; // a marker, or a fill byte before one
            ffAt = pos - 1;
          } else {
            // Not JPEG where a marker must be: the SOI was garbage or the header is damaged.
            // A real frame may lie in the bytes taken since that SOI, so look there again.
            chunk = this.abandonFrame(chunk, start);
            pos = 0;
            start = 0;
          }
          break;
        }
        case LENGTH: {
          const b = chunk[pos++]!;
          if (this.lengthHigh < 0) {
            this.lengthHigh = b;
            ffAt = pos - 1;
            break;
          }
          const length = (this.lengthHigh << 8) | b;
          this.lengthHigh = -1;
          if (length === 0xff00 + SOI) {
            code = SOI; // cut right after a marker: the "length" is the next frame's SOI
            break;
          }
          // An SOS header is 6 + 2 bytes per component (1 to 4): anything else is not this frame's.
          if (length < 2 || (this.afterSkip === SCAN && !(length >= 8 && length <= 14 && length % 2 === 0))) {
            chunk = this.abandonFrame(chunk, start);
            pos = 0;
            start = 0;
            break;
          }
          this.skip = length - 2;
          this.state = SKIP;
          break;
        }
        case SKIP: {
          const n = Math.min(this.skip, chunk.length - pos);
          if (this.soiInSegmentIsNewFrame) {
            // Only APPn segments may carry a JPEG (an EXIF thumbnail). An SOI in any other
            // segment means this frame was cut and the next one began inside the segment.
            if (this.ff && n > 0 && chunk[pos] === SOI) {
              ffAt = -1;
              pos += 1;
              code = SOI;
              break;
            }
            const i = chunk.subarray(pos, pos + n).indexOf(SOI_BYTES);
            if (i >= 0) {
              ffAt = pos + i;
              pos += i + 2;
              code = SOI;
              break;
            }
            this.ff = n > 0 && chunk[pos + n - 1] === 0xff;
          }
          pos += n;
          this.skip -= n;
          if (this.skip === 0) {
            this.state = this.afterSkip;
            this.ff = false;
          }
          break;
        }
        case SCAN: {
          if (!this.ff) {
            const i = chunk.indexOf(0xff, pos);
            if (i < 0) {
              pos = chunk.length;
            } else {
              this.ff = true;
              ffAt = i;
              pos = i + 1;
            }
            break;
          }
          const b = chunk[pos++]!;
          if (b === 0xff) {
            ffAt = pos - 1;
            break;
          }
          this.ff = false;
          if (b !== 0x00 && !(b >= 0xd0 && b <= 0xd7)) code = b; // not stuffing nor RST
          break;
        }
      }
      if (code < 0) continue;

      if (code === SOI) {
        // A new frame starts before this one ended (a camera restart, a lost chunk).
        this.stats.brokenFrames++;
        if (ffAt >= 0) {
          this.stats.discardedBytes += this.partsBytes + (ffAt - start);
          this.beginFrame(false);
          start = ffAt;
        } else {
          this.stats.discardedBytes += this.partsBytes - 1;
          this.beginFrame(true);
          start = pos - 1;
        }
      } else if (code === EOI) {
        const size = this.partsBytes + (pos - start);
        if (size > this.maxFrameBytes) {
          this.stats.oversizedFrames++;
          this.stats.discardedBytes += size;
          this.dropFrame();
        } else if (this.scanned) {
          out.push(Buffer.concat([...this.parts, chunk.subarray(start, pos)], size));
          this.stats.frames++;
          this.parts = [];
          this.partsBytes = 0;
          this.state = SEEK;
        } else {
          chunk = this.abandonFrame(chunk, start);
          pos = 0;
          start = 0;
        }
      } else if (isStandaloneMarker(code)) {
        // RST or TEM between segments: no length follows.
      } else if (code < 0xc0 || (isStartOfFrame(code) && this.sawSof) || (code === SOS && !this.sawSof)) {
        // Not a marker, two SOFs, or a scan with no SOF: the header was cut and other bytes followed.
        chunk = this.abandonFrame(chunk, start);
        pos = 0;
        start = 0;
      } else {
        if (isStartOfFrame(code)) this.sawSof = true;
        if (code === SOS) this.scanned = true;
        this.afterSkip = code === SOS ? SCAN : MARKER;
        this.soiInSegmentIsNewFrame = !(code >= 0xe0 && code <= 0xef);
        this.state = LENGTH;
      }
    }

    if (this.state !== SEEK) {
      this.parts.push(chunk.subarray(start));
      this.partsBytes += chunk.length - start;
    }
    return out;
  }

  /** Starts a frame; its SOI's 0xFF may have ended the previous chunk. */
  private beginFrame(ffInPreviousChunk: boolean): void {
    this.parts = ffInPreviousChunk ? [FF] : [];
    this.partsBytes = this.parts.length;
    this.state = MARKER;
    this.ff = false;
    this.sawSof = false;
    this.scanned = false;
    this.lengthHigh = -1;
  }

  private dropFrame(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.state = SEEK;
    this.ff = false;
    this.lengthHigh = -1;
  }

  /** Drops the frame begun at `start` and returns the bytes after its SOI, to be searched again. */
  private abandonFrame(chunk: Buffer, start: number): Buffer {
    this.stats.brokenFrames++;
    this.stats.discardedBytes += 2;
    const held = this.parts.length > 0 ? Buffer.concat([...this.parts, chunk.subarray(start)]) : chunk.subarray(start);
    this.dropFrame();
    return held.subarray(2);
  }
}
