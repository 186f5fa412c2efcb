import { counter, gauge, histogram } from '../common/metrics.js';

export const brokerMetrics = {
  framesIn: counter('vsp_broker_frames_in_total', 'Frame records admitted from the frames topic', ['partition']),
  framesOut: counter('vsp_broker_frames_out_total', 'Tracked frames produced, by status', ['status']),
  refetched: counter('vsp_broker_refetched_total', 'Frame records the Kafka client delivered again after they were admitted (ignored)'),
  deadLetters: counter('vsp_broker_dead_letters_total', 'Records sent to the dead-letter topic'),
  retries: counter('vsp_broker_processor_retries_total', 'Processor calls retried after a failure'),
  inFlight: gauge('vsp_broker_inflight_frames', 'Frames in the reorder windows (in flight or waiting for earlier ones)', ['partition']),
  lag: gauge('vsp_broker_consumer_lag', 'Frames in Kafka not yet fetched by this broker, per partition', ['partition']),
  processorLatency: histogram('vsp_broker_processor_latency_seconds', 'Processor call round trip, retries included', ['processor']),
  trackerResets: counter('vsp_broker_tracker_resets_total', 'Camera trackers restarted because the seq jumped by more than --max-seq-gap'),
  camerasEvicted: counter('vsp_broker_cameras_evicted_total', 'Camera trackers dropped, by reason (idle past --camera-idle-ttl, or over --max-cameras)', ['reason']),
  cameras: gauge('vsp_broker_cameras', 'Cameras with a live tracker, per partition', ['partition']),
  snapshotsRejected: counter('vsp_broker_snapshots_rejected_total', 'Tracker snapshots ignored as invalid (fresh trackers started instead)'),
  endToEnd: histogram('vsp_broker_e2e_latency_seconds', 'Capture time to tracked frame handed to Kafka'),
  underReplicated: gauge('vsp_broker_under_replicated_partitions', 'Partitions of the deployment\'s topics with fewer in-sync replicas than replicas (or no leader), checked every 30 s', ['topic']),
};
