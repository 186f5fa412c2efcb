import assert from 'node:assert/strict';
import type { Logger } from '../../common/log.js';
import { defaultModelPath } from '../../processor/onnx/index.js';
import { createSession } from '../../processor/onnx/session.js';

describe('onnxruntime session device choice', () => {
  it('runs on the CPU when asked', async () => {
    const { session, device } = await createSession(await defaultModelPath(), 'cpu', 1, () => assert.fail('no log expected'));
    await session.release();
    assert.equal(device, 'cpu');
  });

  it('uses CUDA when asked, or says why not and runs on the CPU', async () => {
    const warnings: string[] = [];
    const log = { warn: (_obj: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
    const { session, device } = await createSession(await defaultModelPath(), 'cuda', 1, () => log);
    await session.release();
    // Either outcome is correct, depending on the machine; a silent fallback is not.
    if (device === 'cpu') assert.match(warnings.join('\n'), /CUDA execution provider unavailable; running on CPU/);
    else assert.deepEqual([device, warnings], ['cuda', []]);
  });
});
