// postinstall: builds the optional @u4/opencv4nodejs against the system's OpenCV (Debian:
// libopencv-dev). Its own install script is denied in package.json's allowScripts: it runs with
// the package as working directory, so it never sees our settings, and without
// OPENCV4NODEJS_DISABLE_AUTOBUILD it downloads and compiles OpenCV from source. Plain JS: this
// runs before `prepare` compiles the TypeScript. Never fails the install: OpenCV is optional.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const pkg = path.resolve('node_modules/@u4/opencv4nodejs');
const addon = path.join(pkg, 'build/Release/opencv4nodejs.node');
const include = process.env.OPENCV_INCLUDE_DIR ?? '/usr/include/opencv4';

if (!existsSync(path.join(pkg, 'binding.gyp'))) {
  // --omit=optional, or an install that skipped it: nothing to build.
} else if (existsSync(addon)) {
  console.log('opencv: @u4/opencv4nodejs already built');
} else if (!existsSync(path.join(include, 'opencv2/core.hpp'))) {
  console.log(`opencv: no OpenCV headers in ${include}: opencv-hog and --display window stay off (apt-get install libopencv-dev, then npm ci)`);
} else {
  console.log(`opencv: building @u4/opencv4nodejs against ${include} (several minutes)`);
  const nodeGyp = createRequire(path.join(pkg, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  const started = Date.now();
  const r = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--jobs', 'max'], {
    cwd: pkg,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, OPENCV4NODEJS_DISABLE_AUTOBUILD: '1' },
  });
  const took = `${Math.round((Date.now() - started) / 1000)} s`;
  if (r.status === 0) console.log(`opencv: built in ${took}`);
  else console.warn(`opencv: build failed after ${took} (see above): opencv-hog and --display window stay off`);
}
