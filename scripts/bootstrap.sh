#!/usr/bin/env bash
# Prepare a Debian machine for Baifang: apt packages, the venv, generated protobuf code,
# editable installs (with the dev tools and the NX-27017 store from requirements-dev.txt).
# Idempotent: the apt, venv and install steps skip what is already done; the generated
# code is rebuilt on every run, so it always matches protos/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/.venv"
PY="${BAIFANG_PYTHON:-python3.11}"
STAMP="$VENV/.stamp"

log() { printf '[bootstrap] %s\n' "$*"; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# (a) Debian packages when missing: RabbitMQ, Redis (server and CLI), Prometheus (with
# promtool), Leaflet and Chromium (the console and its browser tests), python3.11 and its venv
# support. policy-rc.d 101 keeps the packages' postinst from starting system-wide daemons: we run
# our own on loopback with data under var/.
apt_packages() {
  local pkgs=()
  command -v rabbitmq-server >/dev/null 2>&1 || pkgs+=(rabbitmq-server)
  command -v redis-server >/dev/null 2>&1 || pkgs+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || pkgs+=(redis-tools)
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || pkgs+=(prometheus)
  # The supervisor console's map library (served by the gateway from this path) and the browser its
  # tests drive headless (Playwright launches /usr/bin/chromium; chromium-driver serves WebDriver).
  [[ -f /usr/share/javascript/leaflet/leaflet.js ]] || pkgs+=(libjs-leaflet)
  command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || pkgs+=(chromium-driver)
  # Debian's own python3.11 creates venvs without pip unless python3.11-venv is there.
  if ! command -v "$PY" >/dev/null 2>&1; then
    pkgs+=(python3.11 python3.11-venv)
  elif [[ ! -x "$VENV/bin/python" ]] && ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
    pkgs+=(python3.11-venv)
  fi
  if [[ ${#pkgs[@]} -eq 0 ]]; then
    log "apt packages present"
    return
  fi
  log "apt-get install ${pkgs[*]}"
  local policy=/usr/sbin/policy-rc.d backup=""
  if [[ -e $policy ]]; then
    backup="$(mktemp)"
    as_root cp -p "$policy" "$backup"
  fi
  # shellcheck disable=SC2064  # expand now: restore exactly this backup
  trap "restore_policy '$backup'" EXIT
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod 755 "$policy"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  restore_policy "$backup"
  trap - EXIT
  stop_system_daemons
}

restore_policy() {
  local backup="$1" policy=/usr/sbin/policy-rc.d
  if [[ -n $backup ]]; then
    as_root cp -p "$backup" "$policy"
    rm -f "$backup"
  else
    as_root rm -f "$policy"
  fi
}

# Belt and braces: if a postinst started the system daemons anyway (no policy-rc.d
# honoured), stop them so they do not hold our ports.
stop_system_daemons() {
  local svc
  for svc in rabbitmq-server redis-server prometheus; do
    if [[ -x /etc/init.d/$svc ]] && as_root /etc/init.d/"$svc" status >/dev/null 2>&1; then
      log "stopping system $svc started by its package"
      as_root invoke-rc.d "$svc" stop >/dev/null 2>&1 || as_root service "$svc" stop >/dev/null 2>&1 || true
    fi
  done
  if pgrep -u rabbitmq -x epmd >/dev/null 2>&1; then
    as_root pkill -u rabbitmq -x epmd || true
  fi
}

# (b) the venv.
venv() {
  if [[ -x $VENV/bin/python ]]; then
    log "venv present"
    return
  fi
  log "creating .venv with $PY"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
}

# (d) editable installs, skipped while the stamp is newer than every input.
pip_install() {
  local inputs=(constraints.txt requirements-dev.txt)
  local f
  while IFS= read -r f; do inputs+=("$f"); done < <(
    find . -name pyproject.toml -not -path './.venv/*' -not -path './var/*' -not -path './node_modules/*'
  )
  if [[ -f $STAMP ]]; then
    local stale=""
    for f in "${inputs[@]}"; do
      if [[ ! -e $f || $f -nt $STAMP ]]; then stale="$f"; break; fi
    done
    if [[ -z $stale ]]; then
      log "python packages up to date"
      return
    fi
    log "$stale changed: reinstalling python packages"
  else
    log "installing python packages"
  fi
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt \
    -e protos -e common \
    -e services/planning -e services/checkin -e services/collection -e services/analytics \
    -e gateway -r requirements-dev.txt
  touch "$STAMP"
}

# (c) generated code, before the editable installs: the protos package is the generated tree.
# Always regenerated (scripts/gen_protos.py starts from an empty protos/gen/python).
protos() {
  if ! "$VENV/bin/python" -c 'import grpc_tools.protoc, mypy_protobuf' >/dev/null 2>&1; then
    log "installing the code generator"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -c constraints.txt grpcio-tools mypy-protobuf
  fi
  log "generating protobuf code"
  "$VENV/bin/python" scripts/gen_protos.py
}

apt_packages
venv
protos
pip_install
log "done"
