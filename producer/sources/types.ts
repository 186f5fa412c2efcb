import type { Logger } from 'pino';

/** One encoded frame, as a source hands it to the producer. */
export interface SourceFrame {
  /** Encoded JPEG, passed through untouched when the source already gives JPEG. */
  image: Buffer;
  /** From the JPEG's SOF header, not from what the device was asked for. */
  width: number;
  height: number;
  /** The source's own timestamp when it has one (a file's pts), else undefined. */
  sourceTimeNs?: bigint;
  /** The frame's own number, published as its seq instead of the next one of the camera's seq state (mot: the file's frame numbers). */
  seq?: number;
}

export interface FrameSource {
  /** The spec it came from, with any URL password hidden, e.g. "file:samples/vtest.avi". */
  readonly description: string;
  /** Cameras and streams are live (frames come whether or not anyone takes them); files and images wait. */
  readonly live: boolean;
  /** Frames come at a set rate (live sources, --realtime files, a synthetic --fps): each is sent as it comes, not batched. */
  readonly paced: boolean;
  /** Ends when the source ends (a file without loop) or the signal aborts; throws on a fatal error. */
  frames(signal: AbortSignal): AsyncIterable<SourceFrame>;
}

export interface SourceOptions {
  /** Live sources: drop frames above this rate, and ask the device for it unless the spec names one. images: the pace under realtime. */
  fps?: number;
  /** file: and images: hand frames out at their own rate instead of as fast as they are taken. */
  realtime?: boolean;
  /** file: and images: start again at the end. */
  loop?: boolean;
  /** synthetic: the scene's seed. */
  seed?: number;
  log: Logger;
}

/** Size and rate asked of a camera (`WxH@FPS` in a spec); the device may give something else. */
export interface CaptureMode {
  width?: number;
  height?: number;
  fps?: number;
}
