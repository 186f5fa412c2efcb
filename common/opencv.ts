// The optional OpenCV binding (@u4/opencv4nodejs, built against the system's OpenCV when the
// project is installed; see docs/opencv.md). Imported on first use only, so that nothing but the
// features that need it (processor --impl opencv-hog, consumer --display window) depends on it.
import { stripVTControlCharacters } from 'node:util';
import type { OpenCv } from './opencv-api.js';

export type { OpenCv } from './opencv-api.js';

// Names in variables: the packages may be absent when this compiles (see opencv-api.ts).
const BINDING = '@u4/opencv4nodejs';
const BUILD_HELPER = '@u4/opencv-build';

export const OPENCV_MISSING = 'OpenCV is not installed: apt-get install libopencv-dev, then npm ci (see docs/opencv.md)';

let loading: Promise<OpenCv> | undefined;

/** The binding, loaded once; rejects with one line saying what to install when it is missing. */
export function loadOpenCv(): Promise<OpenCv> {
  loading ??= importOpenCv();
  return loading;
}

async function importOpenCv(): Promise<OpenCv> {
  // Without this the binding looks for an OpenCV it compiled itself, and throws finding none.
  process.env.OPENCV4NODEJS_DISABLE_AUTOBUILD ??= '1';
  // Its Mat allocator reports memory to V8 from whichever thread allocates (the *Async methods'
  // pool, OpenCV's own threads), which aborts Node 20 in the garbage collector ("Check failed:
  // marking_done_"; UrielCh/opencv4nodejs#134, #148). OpenCV's own allocator has no such call.
  process.env.OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING ??= '1';
  try {
    // Its build helper logs its configuration search on stdout, which carries vsp's own output.
    ((await import(BUILD_HELPER)) as { Log: { silence: boolean } }).Log.silence = true;
    return ((await import(BINDING)) as { cv: OpenCv }).cv;
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    // The package left out (--omit=optional), or installed without its native part (no OpenCV then).
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new Error(OPENCV_MISSING, { cause: err });
    const reason = stripVTControlCharacters(err instanceof Error ? err.message : String(err)).trim().split('\n')[0];
    throw new Error(`OpenCV cannot be loaded (${reason}): reinstall libopencv-dev, then npm ci (see docs/opencv.md)`, { cause: err });
  }
}
