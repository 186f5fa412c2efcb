// The viewer's live state: the cameras seen with the last frame of each, and the connected pages
// with the camera each watches. Frames go only to the pages watching their camera, through a
// BoundedSender each.
import type { WebSocket } from 'ws';
import type { Frame__Output } from '../../common/gen/vsp/v1/Frame.js';
import type { TrackedFrame__Output } from '../../common/gen/vsp/v1/TrackedFrame.js';
import { nowMs, timestampToMs } from '../../common/time.js';
import { DEFAULT_MAX_CAMERAS } from '../../common/frame-limits.js';
import { LruMap } from '../../common/lru-map.js';
import type { JoinCounters } from '../join.js';
import { BoundedSender } from './bounded-sender.js';
import { frameMessage, parseWatch, tracksMessage, type CameraInfo, type StatusMessage } from './protocol.js';

interface Outgoing {
  tracks: string;
  frame: Buffer;
}

interface Client {
  ws: WebSocket;
  watching?: string;
  sender: BoundedSender<Outgoing>;
  alive: boolean;
}

interface Camera {
  info: CameraInfo;
  last: { frame: Frame__Output; tracked: TrackedFrame__Output; captureMs: number; latencyMs: number };
  framesSinceStatus: number;
}

/** Frames on their way to one page: pairs complete in bursts (Kafka fetches and commits in
 * batches), which a page that keeps up should get whole. */
const FRAMES_IN_FLIGHT = 4;
const STATUS_INTERVAL_MS = 1000;
const HEARTBEAT_INTERVAL_MS = 30_000;
/** Status messages are skipped for a client with this much unsent: it is not reading. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export class ViewerHub {
  /** Least recently updated first; beyond maxCameras the oldest camera leaves the viewer. */
  private readonly cameras: LruMap<string, Camera>;
  private readonly clients = new Set<Client>();
  private lastStatus = performance.now();
  private readonly timers: NodeJS.Timeout[];

  constructor(
    private readonly joinCounters: () => JoinCounters,
    maxCameras = DEFAULT_MAX_CAMERAS,
  ) {
    this.cameras = new LruMap(maxCameras);
    this.timers = [setInterval(() => this.tick(), STATUS_INTERVAL_MS), setInterval(() => this.heartbeat(), HEARTBEAT_INTERVAL_MS)];
  }

  /** A joined frame: kept as its camera's last, sent to the pages watching that camera. */
  show(frame: Frame__Output, tracked: TrackedFrame__Output): void {
    const captureMs = timestampToMs(tracked.captureTime);
    const last = { frame, tracked, captureMs, latencyMs: nowMs() - captureMs };
    const info: CameraInfo = {
      id: tracked.cameraId, width: frame.width, height: frame.height, lastSeq: tracked.seq,
      fps: 0, latencyMs: last.latencyMs, tracks: tracked.tracks.length,
    };
    const camera = this.cameras.get(tracked.cameraId);
    if (camera) {
      camera.info = { ...info, fps: camera.info.fps };
      camera.last = last;
      camera.framesSinceStatus += 1;
    } else {
      this.cameras.set(tracked.cameraId, { info, last, framesSinceStatus: 1 });
    }
    let outgoing: Outgoing | undefined;
    for (const client of this.clients) {
      if (client.watching !== tracked.cameraId) continue;
      outgoing ??= render(last);
      client.sender.offer(outgoing);
    }
    // A new camera is listed at once rather than at the next status.
    if (!camera) this.broadcastStatus();
  }

  attach(ws: WebSocket): void {
    const client: Client = {
      ws,
      alive: true,
      sender: new BoundedSender((m, done) => {
        if (ws.readyState !== ws.OPEN) return done();
        ws.send(m.tracks);
        ws.send(m.frame, () => done());
      }, FRAMES_IN_FLIGHT),
    };
    this.clients.add(client);
    // ws reports a protocol violation (e.g. an oversized message) as an error, then closes.
    ws.on('error', () => ws.terminate());
    ws.on('pong', () => (client.alive = true));
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', (data, isBinary) => {
      const camera = isBinary ? undefined : parseWatch(data.toString());
      if (camera === undefined) return;
      client.watching = camera;
      // The page shows the camera's last frame at once instead of a blank until the next one.
      const last = this.cameras.get(camera)?.last;
      if (last) client.sender.offer(render(last));
    });
    this.sendTo(client, this.status());
  }

  close(): void {
    this.timers.forEach(clearInterval);
    for (const client of this.clients) client.ws.terminate();
  }

  /** Every STATUS_INTERVAL_MS: frame rates over the interval, then a status to every page. */
  private tick(): void {
    const now = performance.now();
    const seconds = (now - this.lastStatus) / 1000;
    this.lastStatus = now;
    for (const camera of this.cameras.values()) {
      camera.info.fps = camera.framesSinceStatus / seconds;
      camera.framesSinceStatus = 0;
    }
    this.broadcastStatus();
  }

  private broadcastStatus(): void {
    const status = this.status();
    for (const client of this.clients) this.sendTo(client, status);
  }

  private status(): Omit<StatusMessage, 'dropped'> {
    return { type: 'status', cameras: [...this.cameras.values()].map((c) => c.info), join: this.joinCounters() };
  }

  private sendTo(client: Client, status: Omit<StatusMessage, 'dropped'>): void {
    if (client.ws.readyState !== client.ws.OPEN || client.ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    const message: StatusMessage = { ...status, dropped: client.sender.dropped };
    client.ws.send(JSON.stringify(message));
  }

  /** Ends connections whose peer vanished without closing (no pong since the last ping). */
  private heartbeat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }
}

function render(last: Camera['last']): Outgoing {
  return { tracks: JSON.stringify(tracksMessage(last.tracked, last.captureMs, last.latencyMs)), frame: frameMessage(last.frame) };
}
