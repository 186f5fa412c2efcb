// The KServe detector: a KServeModel (model.ts) behind the onnx implementation's batching, so
// frames of concurrent calls share a ModelInfer; afterwards it watches ServerReady + ModelReady,
// which the processor's grpc.health.v1 status follows.
import { createLogger, type Logger } from '../../common/log.js';
import type { Detector, DetectorInfo } from '../detector.js';
import { batchingDetector, type BatchingOptions } from '../onnx/staged-detector.js';
import { KServeModel, type KServeModelOptions } from './model.js';

export interface KServeDetectorOptions extends Omit<KServeModelOptions, 'log'>, BatchingOptions {
  /** ModelInfer calls in flight at once (transfers overlap the server's work). */
  maxInflight: number;
  /** Readiness poll once serving (default 1 s). */
  healthIntervalMs?: number;
}

export async function createKServeDetector(o: KServeDetectorOptions): Promise<Detector> {
  let logger = o.logger;
  const log = (): Logger => (logger ??= createLogger('kserve-detector'));
  const model = await KServeModel.load({ ...o, log });
  const maxBatch = Math.min(o.maxBatch, model.batchLimit);
  if (maxBatch < o.maxBatch) log().warn({ maxBatch }, `model '${o.model}' has a fixed batch of 1; one frame per ModelInfer`);
  const info: DetectorInfo = {
    name: `kserve-${o.format}`,
    version: `${o.model}${o.version ? `:${o.version}` : ''} on ${o.target} (${model.server}, ${model.input.datatype})`,
    labels: model.labels,
    inputWidth: model.spec.width,
    inputHeight: model.spec.height,
    maxBatch,
  };
  log().info({ target: o.target, model: o.model, input: model.input, outputs: model.outputNames, maxBatch }, `inference server ${o.target}: model '${o.model}' ready (${model.server})`);

  return {
    ...batchingDetector(model, info, o.maxDelayMs, o.maxInflight),
    watchHealth(report) {
      let serving = true;
      let checking = false;
      report(true);
      const timer = setInterval(() => {
        if (checking) return;
        checking = true;
        void model.notReady().then((why) => {
          checking = false;
          if ((why === undefined) === serving) return;
          serving = why === undefined;
          if (serving) log().info({ target: o.target, model: o.model }, `inference server ${o.target}: model '${o.model}' is ready again; serving`);
          else log().warn({ target: o.target, model: o.model }, `inference server ${o.target}: ${why}; not serving (frames wait) until it is back`);
          report(serving);
        });
      }, o.healthIntervalMs ?? 1000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
