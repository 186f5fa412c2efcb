// onnxruntime-node session creation: CPU, or CUDA with a logged fallback to CPU when the CUDA
// execution provider cannot be loaded (onnxruntime-node installed without its CUDA libraries, no
// CUDA 12 / cuDNN 9 runtime, no GPU).
import * as ort from 'onnxruntime-node';
import type { Logger } from '../../common/log.js';

export type Device = 'cpu' | 'cuda';

export interface SessionChoice {
  session: ort.InferenceSession;
  /** Where it actually runs. */
  device: Device;
}

export async function createSession(model: string, device: Device, threads: number | undefined, log: () => Logger): Promise<SessionChoice> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(threads !== undefined && { intraOpNumThreads: threads }),
  };
  if (device === 'cuda') {
    try {
      return { session: await ort.InferenceSession.create(model, { ...options, executionProviders: ['cuda', 'cpu'] }), device };
    } catch (err) {
      log().warn(
        { err: (err as Error).message },
        'CUDA execution provider unavailable; running on CPU. For CUDA: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with CUDA 12 and cuDNN 9',
      );
    }
  }
  return { session: await ort.InferenceSession.create(model, { ...options, executionProviders: ['cpu'] }), device: 'cpu' };
}
