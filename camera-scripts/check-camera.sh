#!/usr/bin/env bash
# Checks a camera before vsp-producer uses it: lists the cameras, records a few seconds of
# MJPEG from the one to check, prints its resolution and measured frame rate, and keeps one
# frame as a JPEG to look at.
#
# Usage: check-camera.sh [SOURCE [SECONDS]]
#   SOURCE   picamera[:WxH@FPS] or v4l2:/dev/videoN[:WxH@FPS]; default: VSP_SOURCE from
#            /etc/vsp/producer.env, else picamera
#   SECONDS  how long to record (default 3)
# The frame goes to $CHECK_CAMERA_OUT (default /tmp/vsp-check-camera.jpg).
# Stop vsp-producer first (sudo systemctl stop vsp-producer): a camera has one user at a time.
set -euo pipefail

readonly ENV_FILE=/etc/vsp/producer.env
out="${CHECK_CAMERA_OUT:-/tmp/vsp-check-camera.jpg}"

die() {
  printf 'check-camera: %s\n' "$*" >&2
  exit 1
}

env_source() {
  [[ -r ${ENV_FILE} ]] || return 0
  sed -n 's/^VSP_SOURCE=//p' "${ENV_FILE}" | tail -n 1
}

spec="${1:-$(env_source)}"
spec="${spec:-picamera}"
seconds="${2:-3}"
[[ ${seconds} =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a whole number of seconds, not '${seconds}'"
command -v ffprobe >/dev/null || die "ffprobe not found (sudo apt-get install ffmpeg)"

# WxH@FPS after the last colon, if any.
width='' height='' fps=''
mode="${spec##*:}"
if [[ ${spec} == *:* && ${mode} =~ ^([0-9]+)x([0-9]+)(@([0-9.]+))?$ ]]; then
  width="${BASH_REMATCH[1]}" height="${BASH_REMATCH[2]}" fps="${BASH_REMATCH[4]}"
  spec="${spec%:*}"
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
capture="${work}/capture.mjpeg"

echo "== cameras"
if command -v rpicam-hello >/dev/null; then
  rpicam-hello --list-cameras || true
elif command -v libcamera-hello >/dev/null; then
  libcamera-hello --list-cameras || true
else
  echo "(rpicam-hello not installed: no Pi camera listing)"
fi
if command -v v4l2-ctl >/dev/null; then
  v4l2-ctl --list-devices 2>/dev/null || echo "(no V4L2 devices)"
else
  compgen -G '/dev/video*' || echo "(no /dev/video* devices)"
fi

echo "== recording ${seconds} s from ${spec}"
case "${spec}" in
  picamera)
    program="$(command -v rpicam-vid || command -v libcamera-vid || true)"
    [[ -n ${program} ]] || die "neither rpicam-vid nor libcamera-vid is installed (sudo apt-get install rpicam-apps)"
    args=(-t "$((seconds * 1000))" --codec mjpeg -o "${capture}" -n)
    if [[ -n ${width} ]]; then args+=(--width "${width}" --height "${height}"); fi
    if [[ -n ${fps} ]]; then args+=(--framerate "${fps}"); fi
    "${program}" "${args[@]}" 2>"${work}/stderr" || { tail -n 5 "${work}/stderr" >&2; die "${program} failed"; }
    ;;
  v4l2:*)
    device="${spec#v4l2:}"
    [[ -e ${device} ]] || die "${device} does not exist"
    ffmpeg -hide_banner -nostdin -f v4l2 -list_formats all -i "${device}" 2>&1 | grep -E 'Raw|Compressed' || true
    args=(-hide_banner -nostdin -loglevel error -f v4l2)
    if [[ -n ${width} ]]; then args+=(-video_size "${width}x${height}"); fi
    if [[ -n ${fps} ]]; then args+=(-framerate "${fps}"); fi
    ffmpeg "${args[@]}" -i "${device}" -t "${seconds}" -c:v mjpeg -q:v 3 -f mjpeg "${capture}" || die "ffmpeg could not record from ${device}"
    ;;
  *)
    die "unsupported SOURCE '${spec}' (picamera[:WxH@FPS] or v4l2:/dev/videoN[:WxH@FPS]; for streams use ffprobe URL)"
    ;;
esac

[[ -s ${capture} ]] || die "the camera gave no frames"
IFS=, read -r got_width got_height frames < <(
  ffprobe -v error -f mjpeg -count_frames -select_streams v:0 -show_entries stream=width,height,nb_read_frames -of csv=p=0 "${capture}"
)
[[ ${frames:-0} -gt 0 ]] || die "the camera gave no frames"
ffmpeg -hide_banner -nostdin -loglevel error -y -f mjpeg -i "${capture}" -frames:v 1 -c:v copy "${out}"
measured="$(awk -v n="${frames}" -v s="${seconds}" 'BEGIN { printf "%.1f", n / s }')"
echo "camera OK: ${got_width}x${got_height}, ${measured} fps (${frames} frames in ${seconds} s); one frame: ${out}"
