#!/usr/bin/env bash
# Installs the vsp producer as a service on Raspberry Pi OS bookworm (64-bit): Node.js 20,
# ffmpeg, rpicam-apps, this project (npm, global), a `vsp` system user and
# vsp-producer.service. Unattended and safe to run again (updates the install).
#
# Usage: sudo ./install-pi.sh [PACKAGE]
#   PACKAGE  what `npm install --global` should install (a tarball, a git URL). Without it, the
#            checkout this script lives in is copied to /opt/vsp, built there and installed.
# On the first install, /etc/vsp/producer.env is made from producer.env.example with
# VSP_CAMERA_ID (default: the host name), VSP_SOURCE and VSP_BROKERS taken from the
# environment when set: sudo VSP_BROKERS=kafka1:9092 ./install-pi.sh
# The service is started when the brokers are set; otherwise edit the file and start it.
#
# Kafka credentials (docs/security.md), from the environment, installed into /etc/vsp/kafka/
# readable by root and the vsp group only (the vsp user alone is in it); the producer gets
# VSP_KAFKA_CONFIG=/etc/vsp/kafka/client.properties:
#   VSP_KAFKA_PROPERTIES  a client properties file (security.protocol, sasl.*, ssl.*); its file
#                         references should be relative: ca.pem, client.pem, client-key.pem,
#                         and ${file:password} for sasl.password
#   VSP_KAFKA_CA          the CA certificate (PEM) of the Kafka cluster      → ca.pem
#   VSP_KAFKA_CERT, VSP_KAFKA_KEY  a client certificate and key (mTLS)      → client.pem, client-key.pem
#   VSP_KAFKA_PASSWORD_FILE        the SASL password                        → password
# Without VSP_KAFKA_PROPERTIES, VSP_KAFKA_CA (+ cert and key) make an SSL properties file.
#   sudo VSP_BROKERS=kafka1:9093 VSP_KAFKA_CA=ca.pem VSP_KAFKA_CERT=pi.pem VSP_KAFKA_KEY=pi-key.pem ./install-pi.sh
set -euo pipefail

readonly NODE_MAJOR=20
readonly APP_DIR=/opt/vsp
readonly ENV_DIR=/etc/vsp
readonly ENV_FILE=/etc/vsp/producer.env
readonly KAFKA_DIR=/etc/vsp/kafka
readonly UNIT_FILE=/etc/systemd/system/vsp-producer.service
readonly PLACEHOLDER_BROKERS=kafka.example.lan:9092
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly here

log() { printf 'install-pi: %s\n' "$*"; }
die() {
  printf 'install-pi: error: %s\n' "$*" >&2
  exit 1
}

check_system() {
  [[ ${EUID} -eq 0 ]] || die "run as root: sudo $0 $*"
  local codename='' name='unknown'
  if [[ -r /etc/os-release ]]; then
    codename="$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)"
    name="$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')"
  fi
  [[ ${codename} == bookworm ]] || log "warning: made for Raspberry Pi OS bookworm; this is ${name}"
}

install_packages() {
  # Pi OS Lite comes with rpicam-apps-lite (no preview window): keep it rather than pull in a desktop.
  local camera_apps=rpicam-apps
  if dpkg -s rpicam-apps-lite 2>/dev/null | grep -q '^Status: install ok installed'; then camera_apps=rpicam-apps-lite; fi
  log "installing ffmpeg, ${camera_apps} and v4l-utils"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends ca-certificates curl gnupg ffmpeg "${camera_apps}" v4l-utils
}

node_major() {
  if command -v node >/dev/null; then node -p 'process.versions.node.split(".")[0]'; else echo 0; fi
}

install_node() {
  if [[ $(node_major) -ge ${NODE_MAJOR} ]]; then
    log "Node.js $(node --version) already installed"
    return
  fi
  # Debian bookworm ships Node 18; NodeSource's repository has 20 for arm64 and armhf.
  log "installing Node.js ${NODE_MAJOR} from NodeSource"
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
  echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_${NODE_MAJOR}.x nodistro main" \
    >/etc/apt/sources.list.d/nodesource.list
  apt-get update -q
  apt-get install -y -q nodejs
  [[ $(node_major) -ge ${NODE_MAJOR} ]] || die "Node.js ${NODE_MAJOR} did not install (node is $(node --version))"
}

install_project() {
  local package="${1:-}"
  if [[ -n ${package} ]]; then
    log "installing ${package}"
    npm install --global --omit=dev --no-audit --no-fund "${package}"
    return
  fi
  local checkout
  checkout="$(cd "${here}/.." && pwd)"
  [[ -f ${checkout}/package.json ]] || die "no PACKAGE given, and ${checkout} is not the project checkout"
  log "building ${checkout} in ${APP_DIR}"
  rm -rf "${APP_DIR}.new"
  install -d -m 0755 "${APP_DIR}.new"
  tar -C "${checkout}" --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./.vsp -cf - . |
    tar -C "${APP_DIR}.new" -xf -
  # npm ci runs the build (prepare), which needs the dev dependencies; they go afterwards.
  (cd "${APP_DIR}.new" && npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund)
  rm -rf "${APP_DIR}"
  mv "${APP_DIR}.new" "${APP_DIR}"
  # A folder is installed as a link to it: /usr/bin/vsp runs ${APP_DIR}/bin/vsp.js.
  npm install --global --no-audit --no-fund "${APP_DIR}"
}

create_user() {
  if ! id vsp >/dev/null 2>&1; then
    log "creating the vsp system user"
    useradd --system --home-dir /var/lib/vsp --create-home --shell /usr/sbin/nologin vsp
  fi
  # Camera devices (/dev/video*, /dev/media*, /dev/dma_heap) belong to video; render where it exists.
  local group
  for group in video render; do
    if getent group "${group}" >/dev/null; then usermod -a -G "${group}" vsp; fi
  done
}

# Sets KEY=value in the env file (appended when missing); the value is taken literally (no sed
# or awk escapes).
set_env() {
  local key="$1" value="$2" tmp
  tmp="$(mktemp)"
  KEY="${key}" VALUE="${value}" awk '
    index($0, ENVIRON["KEY"] "=") == 1 { print ENVIRON["KEY"] "=" ENVIRON["VALUE"]; done = 1; next }
    { print }
    END { if (!done) print ENVIRON["KEY"] "=" ENVIRON["VALUE"] }' "${ENV_FILE}" >"${tmp}"
  cat "${tmp}" >"${ENV_FILE}"
  rm -f "${tmp}"
}

# Copies a secret or certificate into KAFKA_DIR: owner root, group vsp, mode 0640.
install_secret() {
  local from="$1" name="$2"
  [[ -r ${from} ]] || die "cannot read ${from} (for ${KAFKA_DIR}/${name})"
  install -m 0640 -o root -g vsp "${from}" "${KAFKA_DIR}/${name}"
}

install_kafka_credentials() {
  if [[ -z ${VSP_KAFKA_PROPERTIES:-}${VSP_KAFKA_CA:-}${VSP_KAFKA_CERT:-}${VSP_KAFKA_KEY:-}${VSP_KAFKA_PASSWORD_FILE:-} ]]; then
    return
  fi
  if [[ ${VSP_KAFKA_CERT:+set} != "${VSP_KAFKA_KEY:+set}" ]]; then die "VSP_KAFKA_CERT and VSP_KAFKA_KEY go together"; fi
  log "installing Kafka credentials in ${KAFKA_DIR}"
  install -d -m 0750 -o root -g vsp "${KAFKA_DIR}"
  if [[ -n ${VSP_KAFKA_CA:-} ]]; then install_secret "${VSP_KAFKA_CA}" ca.pem; fi
  if [[ -n ${VSP_KAFKA_CERT:-} ]]; then
    install_secret "${VSP_KAFKA_CERT}" client.pem
    install_secret "${VSP_KAFKA_KEY}" client-key.pem
  fi
  if [[ -n ${VSP_KAFKA_PASSWORD_FILE:-} ]]; then install_secret "${VSP_KAFKA_PASSWORD_FILE}" password; fi
  local properties
  properties="$(mktemp)"
  if [[ -n ${VSP_KAFKA_PROPERTIES:-} ]]; then
    cat "${VSP_KAFKA_PROPERTIES}" >"${properties}"
  elif [[ -n ${VSP_KAFKA_CA:-} || -n ${VSP_KAFKA_CERT:-} ]]; then
    {
      echo 'security.protocol=SSL'
      if [[ -n ${VSP_KAFKA_CA:-} ]]; then echo 'ssl.ca.location=ca.pem'; fi
      if [[ -n ${VSP_KAFKA_CERT:-} ]]; then printf '%s\n' 'ssl.certificate.location=client.pem' 'ssl.key.location=client-key.pem'; fi
    } >"${properties}"
  else
    rm -f "${properties}"
    die "VSP_KAFKA_PASSWORD_FILE needs VSP_KAFKA_PROPERTIES (with sasl.mechanism, sasl.username and sasl.password=\${file:password})"
  fi
  install_secret "${properties}" client.properties
  rm -f "${properties}"
  set_env VSP_KAFKA_CONFIG "${KAFKA_DIR}/client.properties"
}

write_env_file() {
  install -d -m 0755 "${ENV_DIR}"
  if [[ -f ${ENV_FILE} ]]; then
    log "keeping ${ENV_FILE}"
    return
  fi
  log "writing ${ENV_FILE}"
  install -m 0640 -o root -g vsp "${here}/producer.env.example" "${ENV_FILE}"
  set_env VSP_CAMERA_ID "${VSP_CAMERA_ID:-$(hostname)}"
  if [[ -n ${VSP_SOURCE:-} ]]; then set_env VSP_SOURCE "${VSP_SOURCE}"; fi
  if [[ -n ${VSP_BROKERS:-} ]]; then set_env VSP_BROKERS "${VSP_BROKERS}"; fi
}

install_service() {
  local vsp
  vsp="$(command -v vsp)" || die "npm installed no vsp command on PATH"
  log "installing ${UNIT_FILE} (ExecStart ${vsp})"
  sed "s|^ExecStart=/usr/bin/vsp |ExecStart=${vsp} |" "${here}/vsp-producer.service" >"${UNIT_FILE}"
  chmod 0644 "${UNIT_FILE}"
  if [[ ! -d /run/systemd/system ]]; then
    systemctl enable vsp-producer.service
    log "systemd is not running here (an image being built?): the service starts at boot"
    return
  fi
  systemctl daemon-reload
  systemctl enable vsp-producer.service
  if grep -q "^VSP_BROKERS=${PLACEHOLDER_BROKERS}\$" "${ENV_FILE}"; then
    log "set VSP_BROKERS (and check VSP_SOURCE) in ${ENV_FILE}, then: sudo systemctl start vsp-producer"
  else
    systemctl restart vsp-producer.service
    log "vsp-producer started; logs: journalctl -u vsp-producer -f"
  fi
}

main() {
  check_system "$@"
  install_packages
  install_node
  install_project "${1:-}"
  create_user
  write_env_file
  install_kafka_credentials
  install_service
  log "done; check the camera with: sudo systemctl stop vsp-producer; ${here}/check-camera.sh"
}

main "$@"
