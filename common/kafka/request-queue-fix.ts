// Works around a busy loop in kafkajs 2.2.4 (tulios/kafkajs#1556, #1704, unfixed upstream): after
// every request a connection's queue schedules a "check pending requests" timer even when nothing
// is pending, with a negative delay, so each connection re-arms a 1 ms timer forever. Measured
// here: ~800 timer wake-ups a second in a producer sending 30 frames a second, and most of an idle
// consumer's CPU. A check is needed only while requests wait in the queue; a finished in-flight
// request triggers one by itself.
import { createRequire } from 'node:module';

interface RequestQueue {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueue };
const original = RequestQueueClass.prototype.scheduleCheckPendingRequests;
RequestQueueClass.prototype.scheduleCheckPendingRequests = function (this: RequestQueue) {
  if (this.pending.length > 0) original.call(this);
};
