// The live view: lists the cameras the server has seen and shows the one picked (the one named
// in the URL's #fragment, else the first camera listed; the fragment then names it, so a link
// shows that camera), drawing each frame's tracks over its image (box and `#id label` in the
// track's colour, a short trail of the box centre). Until a frame is drawn a line over the view
// says what it waits for. Wire format: consumer/web/protocol.ts.
import { cssColor, lineWidth, tagFontSize, tagLeft, tagTop, textColorOn, trackColor } from './overlay-style.js';

/** Box centres kept per track for its trail; also how many frames a trail outlives its track. */
const TRAIL_POINTS = 12;

const $ = (id) => document.getElementById(id);
const canvas = $('frame');
const ctx = canvas.getContext('2d');
const token = new URLSearchParams(location.search).get('token');

let socket;
let watching;
const cameraButtons = new Map(); // camera id → its button in the list
const tracksBySeq = new Map(); // seq → tracks message of the watched camera, until its frame is drawn
const trails = new Map(); // track id → { points: [[x, y], …], lastSeq }
const seenByClass = new Map(); // class → Set of track ids seen since the camera was picked
const drawnAt = []; // performance.now() of the frames drawn in the last second
let latest; // the newest frame not drawn yet
let drawing = false;
let connected = false;
let camerasKnown = 0;

watchFragment();
window.addEventListener('hashchange', watchFragment);
showWaiting();
connect();

/** Watches the camera the URL's #fragment names, if it names one. */
function watchFragment() {
  if (location.hash.length > 1) watch(decodeURIComponent(location.hash.slice(1)));
}

function connect() {
  const url = new URL('ws', location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = token ? `?token=${encodeURIComponent(token)}` : '';
  socket = new WebSocket(url);
  socket.binaryType = 'arraybuffer';
  socket.onopen = () => {
    setConnection(true);
    showWaiting();
    if (watching !== undefined) socket.send(JSON.stringify({ type: 'watch', camera: watching }));
  };
  socket.onclose = () => {
    setConnection(false);
    setTimeout(connect, 2000);
  };
  socket.onmessage = (e) => (typeof e.data === 'string' ? onMessage(JSON.parse(e.data)) : onFrame(e.data));
}

function onMessage(m) {
  if (m.type === 'status') showStatus(m);
  else if (m.type === 'tracks' && m.camera === watching) tracksBySeq.set(m.seq, m);
}

function onFrame(buffer) {
  const headerLength = new DataView(buffer).getUint32(0);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
  if (header.camera !== watching) return;
  latest = { header, bytes: new Uint8Array(buffer, 4 + headerLength) };
  if (!drawing) void drawLatest();
}

// Decoding is asynchronous: frames that arrive meanwhile replace each other; the newest is drawn.
async function drawLatest() {
  drawing = true;
  while (latest) {
    const { header, bytes } = latest;
    latest = undefined;
    try {
      const image = await decode(header, bytes);
      if (header.camera === watching) draw(header, image);
      image.close?.();
    } catch (err) {
      console.warn(`frame ${header.camera} #${header.seq} not shown:`, err);
    }
  }
  drawing = false;
}

async function decode(header, bytes) {
  if (header.mime !== 'application/x-rgb24') return createImageBitmap(new Blob([bytes], { type: header.mime }));
  const rgba = new Uint8ClampedArray(header.width * header.height * 4);
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    rgba[j] = bytes[i];
    rgba[j + 1] = bytes[i + 1];
    rgba[j + 2] = bytes[i + 2];
    rgba[j + 3] = 255;
  }
  return new ImageData(rgba, header.width, header.height);
}

function draw(header, image) {
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  if (image instanceof ImageData) ctx.putImageData(image, 0, 0);
  else ctx.drawImage(image, 0, 0);
  const message = tracksBySeq.get(header.seq);
  for (const seq of tracksBySeq.keys()) if (seq <= header.seq) tracksBySeq.delete(seq);
  const tracks = message?.tracks ?? [];
  updateTrails(tracks, header.seq);
  drawOverlay(tracks, image.width, image.height);
  canvas.dataset.camera = header.camera;
  canvas.dataset.seq = String(header.seq);
  drawnAt.push(performance.now());
  showFrame(header, message, tracks);
  showWaiting();
}

function updateTrails(tracks, seq) {
  for (const t of tracks) {
    const trail = trails.get(t.id) ?? { points: [] };
    trail.points.push([(t.x1 + t.x2) / 2, (t.y1 + t.y2) / 2]);
    if (trail.points.length > TRAIL_POINTS) trail.points.shift();
    trail.lastSeq = seq;
    trails.set(t.id, trail);
  }
  for (const [id, trail] of trails) if (seq - trail.lastSeq > TRAIL_POINTS || seq < trail.lastSeq) trails.delete(id);
}

function drawOverlay(tracks, width, height) {
  const lw = lineWidth(width, height);
  const font = tagFontSize(width, height);
  const tagHeight = font + 4;
  // Trails first, under every box and tag.
  ctx.globalAlpha = 0.6;
  ctx.lineWidth = Math.max(1, lw - 1);
  ctx.lineJoin = 'round';
  for (const t of tracks) {
    const points = trails.get(t.id).points;
    ctx.strokeStyle = cssColor(trackColor(t.id));
    ctx.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  ctx.lineWidth = lw;
  ctx.font = `${font}px system-ui, sans-serif`;
  for (const t of tracks) {
    const color = trackColor(t.id);
    const text = `#${t.id} ${t.label}`.trim();
    const tagWidth = ctx.measureText(text).width + 6;
    const left = tagLeft(t, lw, tagWidth, width);
    const top = tagTop(t, lw, tagHeight);
    ctx.strokeStyle = cssColor(color);
    ctx.strokeRect(t.x1, t.y1, t.x2 - t.x1, t.y2 - t.y1);
    ctx.fillStyle = cssColor(color);
    ctx.fillRect(left, top, tagWidth, tagHeight);
    ctx.fillStyle = textColorOn(color);
    ctx.fillText(text, left + 3, top + font);
  }
}

function showFrame(header, message, tracks) {
  const now = performance.now();
  while (drawnAt[0] < now - 1000) drawnAt.shift();
  $('seq').textContent = String(header.seq);
  $('fps').textContent = String(drawnAt.length);
  // null when the frame had no capture time (JSON has no NaN).
  $('latency').textContent = message?.latencyMs != null ? `${Math.round(message.latencyMs)} ms` : '–';
  $('status').textContent = message?.status ?? 'no tracks';
  $('tracks').replaceChildren(...tracks.map(trackItem));
  const nowByClass = new Map();
  for (const t of tracks) {
    const cls = className(t);
    nowByClass.set(cls, (nowByClass.get(cls) ?? 0) + 1);
    if (!seenByClass.has(cls)) seenByClass.set(cls, new Set());
    seenByClass.get(cls).add(t.id);
  }
  const rows = [...seenByClass.keys()].sort().map((cls) => row(cls, nowByClass.get(cls) ?? 0, seenByClass.get(cls).size));
  $('classes').tBodies[0].replaceChildren(...rows);
}

function trackItem(t) {
  const li = document.createElement('li');
  li.dataset.trackId = String(t.id);
  li.dataset.box = [t.x1, t.y1, t.x2, t.y2].join(',');
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = cssColor(trackColor(t.id));
  const score = t.score > 0 ? ` ${t.score.toFixed(2)}` : '';
  li.append(swatch, `#${t.id} ${className(t)}${score}`);
  return li;
}

function className(t) {
  return t.label || (t.classId >= 0 ? `class ${t.classId}` : 'unknown');
}

function row(...cells) {
  const tr = document.createElement('tr');
  for (const c of cells) tr.insertCell().textContent = String(c);
  return tr;
}

function showStatus(m) {
  $('no-cameras').hidden = m.cameras.length > 0;
  camerasKnown = m.cameras.length;
  // Nothing picked (no #fragment): the first camera, without waiting for a click.
  if (watching === undefined && m.cameras.length > 0) watch(m.cameras[0].id);
  showWaiting();
  for (const c of m.cameras) {
    let button = cameraButtons.get(c.id);
    if (!button) {
      // Created once and then only updated: replacing it under the pointer would eat clicks.
      button = document.createElement('button');
      button.dataset.camera = c.id;
      button.addEventListener('click', () => watch(c.id));
      button.append(document.createElement('span'), document.createElement('small'));
      const li = document.createElement('li');
      li.append(button);
      $('cameras').append(li);
      cameraButtons.set(c.id, button);
    }
    button.setAttribute('aria-pressed', String(c.id === watching));
    button.children[0].textContent = c.id;
    button.children[1].textContent = `${c.width}×${c.height} · ${c.fps.toFixed(1)} fps · ${c.tracks} tracks`;
  }
  const j = m.join;
  const numbers = [
    ['joined', j.joined],
    ['frames w/o tracks', j.framesWithoutTracks],
    ['tracks w/o frames', j.tracksWithoutFrames],
    ['duplicates', j.duplicateFrames + j.duplicateTracks],
    ['dropped (this page)', m.dropped],
  ];
  $('join').replaceChildren(...numbers.flatMap(([k, v]) => [element('dt', k), element('dd', String(v))]));
}

function element(tag, text) {
  const e = document.createElement(tag);
  e.textContent = text;
  return e;
}

function watch(id) {
  if (id === watching) return;
  watching = id;
  history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(id)}`);
  tracksBySeq.clear();
  trails.clear();
  seenByClass.clear();
  drawnAt.length = 0;
  latest = undefined;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  delete canvas.dataset.seq;
  $('camera-title').textContent = id;
  for (const [camera, button] of cameraButtons) button.setAttribute('aria-pressed', String(camera === id));
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'watch', camera: id }));
  showWaiting();
}

/** The line over the view until the watched camera's first frame is drawn: what it waits for. */
function showWaiting() {
  const hint = $('hint');
  const drawn = canvas.dataset.seq !== undefined;
  hint.hidden = drawn;
  if (drawn) return;
  if (!connected) hint.textContent = 'Connecting to the viewer…';
  else if (watching !== undefined) hint.textContent = `Waiting for the first frame of ${watching}…`;
  else if (camerasKnown === 0) hint.textContent = 'Waiting for a camera: no tracked frames yet…';
}

function setConnection(on) {
  connected = on;
  const el = $('connection');
  el.textContent = on ? 'live' : 'disconnected, retrying…';
  el.className = on ? 'on' : 'off';
}
