// The ONNX detector (NanoDet, YOLOv5, YOLOv8/YOLO11 on onnxruntime-node) and its default model.
export { createOnnxDetector, type OnnxDetectorOptions } from './detector.js';
export { defaultModelPath } from './default-model.js';
export { MODEL_FORMATS, type ModelFormat } from './formats.js';
export type { Device } from './session.js';
