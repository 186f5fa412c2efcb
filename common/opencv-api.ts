// The parts of @u4/opencv4nodejs's API that vsp uses (the HOG detector, the desktop window),
// written here so that the project compiles where the optional package is left out
// (`npm ci --omit=optional`); common/opencv.ts loads the package itself on first use.

export interface CvPoint2 {
  readonly x: number;
  readonly y: number;
}

export interface CvSize {
  readonly width: number;
  readonly height: number;
}

export interface CvRect extends CvPoint2, CvSize {}

/** A colour, in the image's channel order (BGR for what OpenCV decodes). */
export interface CvVec3 {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly empty: boolean;
  cvtColor(code: number): Mat;
  resize(rows: number, cols: number, fx?: number, fy?: number, interpolation?: number): Mat;
  putText(text: string, origin: CvPoint2, fontFace: number, fontScale: number, color: CvVec3, thickness?: number, lineType?: number): void;
  drawPolylines(pts: CvPoint2[][], isClosed: boolean, color: CvVec3, thickness?: number, lineType?: number): void;
  drawRectangle(pt0: CvPoint2, pt1: CvPoint2, color: CvVec3, thickness?: number, lineType?: number): void;
}

export interface HogDescriptor {
  setSVMDetector(detector: number[]): void;
  detectMultiScaleAsync(img: Mat, hitThreshold: number, winStride: CvSize, padding: CvSize, scale: number, finalThreshold: number, useMeanshiftGrouping: boolean): Promise<{ foundLocations: CvRect[]; foundWeights: number[] }>;
}

export interface OpenCv {
  readonly version: { major: number; minor: number; revision: number };
  Mat: new (data: Buffer, rows: number, cols: number, type: number) => Mat;
  Point2: new (x: number, y: number) => CvPoint2;
  Size: new (width: number, height: number) => CvSize;
  Vec3: new (x: number, y: number, z: number) => CvVec3;
  HOGDescriptor: { new (): HogDescriptor; getDefaultPeopleDetector(): number[] };
  imdecodeAsync(buffer: Buffer, flags: number): Promise<Mat>;
  getTextSize(text: string, fontFace: number, fontScale: number, thickness: number): { size: CvSize; baseLine: number };
  namedWindow(winName: string, flags: number): void;
  moveWindow(winName: string, x: number, y: number): void;
  imshow(winName: string, img: Mat): void;
  waitKey(delay: number): number;
  destroyAllWindows(): void;
  readonly CV_8UC3: number;
  readonly COLOR_RGB2BGR: number;
  readonly IMREAD_COLOR: number;
  readonly INTER_AREA: number;
  readonly WINDOW_AUTOSIZE: number;
  readonly WINDOW_GUI_NORMAL: number;
  readonly FONT_HERSHEY_SIMPLEX: number;
  readonly LINE_AA: number;
  readonly LINE_8: number;
  readonly FILLED: number;
}
