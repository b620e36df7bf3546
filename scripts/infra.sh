#!/usr/bin/env bash
# Local infrastructure for Baifang: RabbitMQ, Redis and the MongoDB-compatible store
# NX-27017 (one process per service) as plain processes on 127.0.0.1 (no Docker, no systemd on our machines).
# Data and logs live under var/ so a checkout is self-contained.
#
#   scripts/infra.sh ensure        start whatever is not answering, wait until all answer
#   scripts/infra.sh stop          stop what this script started (pid files), keep data
#   scripts/infra.sh status        one line per component
#   scripts/infra.sh rabbitmqctl … run rabbitmqctl against our node (same cookie, node name)
#
# Ports: RABBITMQ_PORT (5672), RABBITMQ_MGMT_PORT (15672), REDIS_PORT (6379),
# MONGO_PORT (27017: the base store; the per-service stores take MONGO_PORT+1..4, see below,
# or <SERVICE>_MONGO_PORT); RABBITMQ_NODENAME (baifang@localhost) for a second copy beside this one.
# INFRA_TIMEOUT (90) bounds the wait of `ensure`, in seconds.
#
# Credentials: the RabbitMQ user, password and vhost are those of AMQP_URI, the Redis password
# that of REDIS_URL; unset, the development defaults every process uses (DEV_AMQP_URI and
# DEV_REDIS_URL in common/baifang_common/settings.py). `ensure` creates them, also on an existing
# var/ (a node or a Redis started without them is given them), and deletes RabbitMQ's guest user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR="$ROOT/var"
RUN="$VAR/run"
LOG="$VAR/log"
PY="$ROOT/.venv/bin/python"

RABBITMQ_PORT="${RABBITMQ_PORT:-5672}"
RABBITMQ_MGMT_PORT="${RABBITMQ_MGMT_PORT:-15672}"
REDIS_PORT="${REDIS_PORT:-6379}"
MONGO_PORT="${MONGO_PORT:-27017}"
INFRA_TIMEOUT="${INFRA_TIMEOUT:-90}"

RABBIT_NODE="${RABBITMQ_NODENAME:-baifang@localhost}"
# The Debian /usr/sbin wrappers re-run every rabbitmq command as the `rabbitmq` user with
# HOME=/var/lib/rabbitmq; that user cannot write our var/ and would use another cookie.
# The real scripts below run as whoever calls us, so server and CLI share one identity.
RABBIT_BIN="/usr/lib/rabbitmq/bin"

log() { printf '[infra] %s\n' "$*"; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- helpers

# pid from a pid file if that process is alive and its command line matches $2.
live_pid() {
  local file="$1" pattern="$2" pid
  [[ -s $file ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 1
  echo "$pid"
}

log_tail() {
  local file="$1"
  printf '[infra] ---- last lines of %s ----\n' "$file" >&2
  if [[ -f $file ]]; then
    # The cause often scrolls away behind shutdown chatter: show error lines first.
    grep -iE 'error|eaddrinuse|crash|fatal|exception' "$file" | tail -n 10 >&2 || true
    echo '[infra] ----' >&2
    tail -n 40 "$file" >&2
  else
    echo "(no log file)" >&2
  fi
}

# Wait until "$@" succeeds or INFRA_TIMEOUT passes. Fails early when the process whose
# pid appeared in $3 dies (the daemons delete their pid file on exit, so remember it).
wait_for() {
  local name="$1" logfile="$2" pidfile="$3"
  shift 3
  local deadline=$((SECONDS + INFRA_TIMEOUT)) pid=""
  until "$@"; do
    if ((SECONDS >= deadline)); then
      log_tail "$logfile"
      die "$name did not answer within ${INFRA_TIMEOUT}s"
    fi
    if [[ -z $pid && -s $pidfile ]]; then pid="$(tr -dc '0-9' <"$pidfile")"; fi
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      log_tail "$logfile"
      die "$name exited during startup"
    fi
    sleep 0.5
  done
}

# Something accepts TCP connections on the port (whatever protocol it speaks).
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Called when the protocol check failed: a listener there is someone else's.
check_port_free() {
  if port_open "$2"; then
    die "port $2 is taken by something that does not answer as $1 (set ${3}_PORT to move ours)"
  fi
}

# SIGTERM a pid, wait up to $2 seconds, then SIGKILL.
terminate() {
  local pid="$1" grace="${2:-20}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid still alive after ${grace}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

need_venv() {
  [[ -x $PY ]] || die "no .venv: run scripts/bootstrap.sh (make setup) first"
}

# AMQP_USER, AMQP_PASSWORD, AMQP_VHOST and REDIS_PASSWORD from the settings every process reads.
load_credentials() {
  local values
  values="$("$PY" - <<'PY'
import shlex
from urllib.parse import parse_qs, unquote, urlsplit
from baifang_common.settings import ServiceSettings
s = ServiceSettings()
amqp, redis = urlsplit(s.amqp_uri), urlsplit(s.redis_url)
vhost = unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
redis_password = unquote(redis.password or "") or parse_qs(redis.query).get("password", [""])[0]
for name, value in [("AMQP_USER", unquote(amqp.username or "")), ("AMQP_PASSWORD", unquote(amqp.password or "")),
                    ("AMQP_VHOST", vhost), ("REDIS_PASSWORD", redis_password)]:
    print(f"{name}={shlex.quote(value)}")
PY
)" || die "could not read AMQP_URI / REDIS_URL through baifang_common.settings"
  eval "$values"
  [[ -n $AMQP_USER && -n $AMQP_PASSWORD ]] || die "AMQP_URI names no RabbitMQ user and password"
  [[ $AMQP_USER != guest ]] || die "AMQP_URI names guest: the local RabbitMQ has a Baifang user instead (unset AMQP_URI for the default)"
  [[ -n $REDIS_PASSWORD ]] || die "REDIS_URL carries no password: the local Redis requires one (unset REDIS_URL for the default)"
  export AMQP_USER AMQP_PASSWORD AMQP_VHOST REDIS_PASSWORD
}

# ---------------------------------------------------------------- RabbitMQ

rabbit_env() {
  local dir="$VAR/rabbitmq"
  export HOME="$dir" # the Erlang cookie: $HOME/.erlang.cookie, shared by server and CLI
  export RABBITMQ_NODENAME="$RABBIT_NODE"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT="$RABBITMQ_PORT"
  export RABBITMQ_MNESIA_BASE="$dir/mnesia"
  export RABBITMQ_LOG_BASE="$LOG/rabbitmq"
  export RABBITMQ_PID_FILE="$RUN/rabbitmq.pid"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
  export RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" # not /etc/rabbitmq's
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_CRASH_DUMP="$LOG/rabbitmq/erl_crash.dump"
}

rabbit_prepare() {
  local dir="$VAR/rabbitmq"
  mkdir -p "$dir/mnesia" "$LOG/rabbitmq" "$RUN"
  if [[ ! -s $dir/.erlang.cookie ]]; then
    # Written before anything starts, so server and CLI never race to create it.
    (umask 077 && head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/.erlang.cookie")
  fi
  chmod 400 "$dir/.erlang.cookie"
  : >"$dir/rabbitmq-env.conf"
  echo '[rabbitmq_management].' >"$dir/enabled_plugins"
  cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBITMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RABBITMQ_MGMT_PORT
# A fresh node creates only this user (never guest); rabbit_provision does it on an existing one.
default_user = $AMQP_USER
default_pass = $AMQP_PASSWORD
default_vhost = $AMQP_VHOST
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
CONF
  chmod 600 "$dir/rabbitmq.conf"
}

# Our node: the pid file, else the beam whose Erlang home is this checkout's var/rabbitmq
# (the cmdline carries `-home <dir>`), so a lost pid file does not orphan the node.
rabbit_pid() {
  live_pid "$RUN/rabbitmq.pid" beam ||
    pgrep -f -- "beam.* -home $VAR/rabbitmq( |\$)" | head -n 1 | grep .
}

# Exit 0: our user logs in to our vhost; 3: the node answers but refuses that login; else not up.
rabbit_probe() {
  "$PY" - "$RABBITMQ_PORT" <<'PY' >/dev/null 2>&1
import os, sys
from urllib.parse import quote
from amqp.exceptions import AccessRefused, NotAllowed
from kombu import Connection
user, password, vhost = (quote(os.environ[k], safe="") for k in ("AMQP_USER", "AMQP_PASSWORD", "AMQP_VHOST"))
try:
    with Connection(f"amqp://{user}:{password}@127.0.0.1:{sys.argv[1]}/{vhost}", connect_timeout=2) as c:
        c.connect()
except (AccessRefused, NotAllowed):
    sys.exit(3)
PY
}

rabbit_answers() { rabbit_probe; }

# Up, whether or not our login works yet.
rabbit_up() {
  local rc=0
  rabbit_probe || rc=$?
  ((rc == 0 || rc == 3))
}

# An existing node (data from before credentials, or another user): create our user and vhost, drop guest.
rabbit_provision() {
  rabbit_answers && return 0
  log "rabbitmq: creating user $AMQP_USER and vhost $AMQP_VHOST"
  local ctl=("$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" -s)
  if "${ctl[@]}" list_users | awk '{print $1}' | grep -qxF -- "$AMQP_USER"; then
    "${ctl[@]}" change_password "$AMQP_USER" "$AMQP_PASSWORD" >/dev/null
  else
    "${ctl[@]}" add_user "$AMQP_USER" "$AMQP_PASSWORD" >/dev/null
  fi
  "${ctl[@]}" set_user_tags "$AMQP_USER" administrator >/dev/null
  "${ctl[@]}" list_vhosts | grep -qxF -- "$AMQP_VHOST" || "${ctl[@]}" add_vhost "$AMQP_VHOST" >/dev/null
  "${ctl[@]}" set_permissions -p "$AMQP_VHOST" "$AMQP_USER" '.*' '.*' '.*' >/dev/null
  if "${ctl[@]}" list_users | awk '{print $1}' | grep -qx guest; then
    "${ctl[@]}" delete_user guest >/dev/null
  fi
  rabbit_answers || die "rabbitmq: $AMQP_USER still cannot log in to vhost $AMQP_VHOST"
}

rabbit_ctl() {
  rabbit_env
  "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" "$@"
}

# Launch without waiting: RabbitMQ takes seconds to boot, the others start meanwhile.
RABBIT_LAUNCHED=0
rabbit_start() {
  rabbit_env
  if rabbit_answers; then
    log "rabbitmq answers on 127.0.0.1:$RABBITMQ_PORT"
    return
  fi
  RABBIT_LAUNCHED=1
  if rabbit_up; then
    log "rabbitmq answers on 127.0.0.1:$RABBITMQ_PORT without our user"
    return
  fi
  [[ -x $RABBIT_BIN/rabbitmq-server ]] || die "rabbitmq-server not installed: run scripts/bootstrap.sh"
  if rabbit_pid >/dev/null; then
    log "rabbitmq already starting"
    return
  fi
  check_port_free rabbitmq "$RABBITMQ_PORT" RABBITMQ
  rabbit_prepare
  rm -f "$RUN/rabbitmq.pid"
  pgrep -x epmd >/dev/null || touch "$RUN/epmd.ours"
  log "starting rabbitmq on 127.0.0.1:$RABBITMQ_PORT (management :$RABBITMQ_MGMT_PORT)"
  "$RABBIT_BIN/rabbitmq-server" -detached >>"$LOG/rabbitmq-startup.log" 2>&1 9>&- ||
    { log_tail "$LOG/rabbitmq-startup.log"; die "rabbitmq-server failed to start"; }
}

rabbit_wait() {
  ((RABBIT_LAUNCHED)) || return 0
  rabbit_env
  wait_for rabbitmq "$LOG/rabbitmq/$RABBIT_NODE.log" "$RUN/rabbitmq.pid" rabbit_up
  rabbit_provision
  log "rabbitmq up ($((SECONDS - T0))s)"
}

rabbit_stop() {
  rabbit_env
  local pid
  if pid="$(rabbit_pid)"; then
    log "stopping rabbitmq (pid $pid)"
    echo "$pid" >"$RUN/rabbitmq.pid" # `rabbitmqctl stop <pidfile>` waits for that pid to exit
    if ! timeout 60 "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" -q stop "$RUN/rabbitmq.pid" >/dev/null 2>&1; then
      terminate "$pid" 20
    fi
  fi
  rm -f "$RUN/rabbitmq.pid"
  # epmd is started by the first Erlang node; stop it only if we started it and no node is left.
  if [[ -f $RUN/epmd.ours ]]; then
    if ! epmd -names 2>/dev/null | grep -q '^name '; then
      epmd -kill >/dev/null 2>&1 || true
    fi
    rm -f "$RUN/epmd.ours"
  fi
}

rabbit_status() {
  rabbit_env
  local pid owner="not ours"
  if pid="$(rabbit_pid)"; then owner="pid $pid"; fi
  if rabbit_answers; then
    printf '%-9s up    amqp://%s:***@127.0.0.1:%s/%s  http://127.0.0.1:%s/  (%s)\n' \
      rabbitmq "$AMQP_USER" "$RABBITMQ_PORT" "$AMQP_VHOST" "$RABBITMQ_MGMT_PORT" "$owner"
  elif rabbit_up; then
    printf '%-9s up    without user %s or vhost %s: run `%s ensure` (%s)\n' rabbitmq "$AMQP_USER" "$AMQP_VHOST" "$0" "$owner"
  elif [[ $owner != "not ours" ]]; then
    printf '%-9s starting (%s, not answering on %s)\n' rabbitmq "$owner" "$RABBITMQ_PORT"
  else
    printf '%-9s down\n' rabbitmq
  fi
}

# ---------------------------------------------------------------- Redis

redis_cli() {
  REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli --no-auth-warning -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

redis_answers() {
  [[ "$(redis_cli ping 2>/dev/null)" == PONG ]]
}

# The password lives in a file of var/ (not on the command line, which `ps` shows).
redis_conf() {
  mkdir -p "$VAR/redis"
  (umask 077 && printf 'requirepass "%s"\n' "$REDIS_PASSWORD" >"$VAR/redis/auth.conf")
}

redis_ensure() {
  local open_ping
  open_ping="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>&1 || true)"
  # A Redis started before it had a password (an existing var/): give it one now.
  if [[ $open_ping == PONG ]]; then
    log "redis on 127.0.0.1:$REDIS_PORT has no password: setting it"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" config set requirepass "$REDIS_PASSWORD" >/dev/null
  fi
  if redis_answers; then
    log "redis answers on 127.0.0.1:$REDIS_PORT"
    return
  fi
  if [[ $open_ping == *NOAUTH* ]]; then
    die "redis on 127.0.0.1:$REDIS_PORT refuses the password of REDIS_URL"
  fi
  command -v redis-server >/dev/null || die "redis-server not installed: run scripts/bootstrap.sh"
  if ! live_pid "$RUN/redis.pid" redis-server >/dev/null; then
    check_port_free redis "$REDIS_PORT" REDIS
    mkdir -p "$VAR/redis" "$LOG" "$RUN"
    rm -f "$RUN/redis.pid"
    redis_conf
    log "starting redis on 127.0.0.1:$REDIS_PORT"
    redis-server "$VAR/redis/auth.conf" --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$VAR/redis" \
      --appendonly yes --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log" 9>&- ||
      { log_tail "$LOG/redis.log"; die "redis-server failed to start"; }
  fi
  wait_for redis "$LOG/redis.log" "$RUN/redis.pid" redis_answers
  log "redis up ($((SECONDS - T0))s)"
}

redis_stop() {
  local pid
  if pid="$(live_pid "$RUN/redis.pid" redis-server)"; then
    log "stopping redis (pid $pid)"
    terminate "$pid" 20
  fi
  rm -f "$RUN/redis.pid"
}

redis_status() {
  local pid owner="not ours"
  if pid="$(live_pid "$RUN/redis.pid" redis-server)"; then owner="pid $pid"; fi
  if redis_answers; then
    printf '%-9s up    redis://:***@127.0.0.1:%s/0  (%s)\n' redis "$REDIS_PORT" "$owner"
  else
    printf '%-9s down\n' redis
  fi
}

# ---------------------------------------------------------------- NX-27017 (Mongo wire protocol)
# One store process per service, so one service's load never stalls another's (NX-27017 is a
# single Python process): "base" (the gateway, and whatever falls back to MONGO_URL) on
# MONGO_PORT, then planning, checkin, collection and analytics on MONGO_PORT+1..4 unless
# <SERVICE>_MONGO_PORT moves one. Data in var/mongo and var/mongo-<service>.

STORES=(base planning checkin collection analytics)

store_port() {
  local name="$1" var offset
  case "$name" in
    base) echo "$MONGO_PORT"; return ;;
    planning) offset=1 ;;
    checkin) offset=2 ;;
    collection) offset=3 ;;
    analytics) offset=4 ;;
    *) die "unknown store $name" ;;
  esac
  var="${name^^}_MONGO_PORT"
  echo "${!var:-$((MONGO_PORT + offset))}"
}

# Files of one store: data dir, pid file, log (the base store keeps the historical names).
store_suffix() { [[ $1 == base ]] && echo "" || echo "-$1"; }

mongo_answers() {
  "$PY" - "$1" <<'PY' >/dev/null 2>&1
import sys
from pymongo import MongoClient
c = MongoClient("127.0.0.1", int(sys.argv[1]), serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)
c.admin.command("ping")
PY
}

mongo_start() {
  local name="$1" port suffix bin="$ROOT/.venv/bin/nx-27017"
  port="$(store_port "$name")"
  suffix="$(store_suffix "$name")"
  if mongo_answers "$port"; then
    log "mongo store $name answers on 127.0.0.1:$port"
    return
  fi
  [[ -x $bin ]] || die "$bin missing: run scripts/bootstrap.sh"
  if ! live_pid "$RUN/mongo$suffix.pid" nx-27017 >/dev/null; then
    check_port_free "the mongo store ($name)" "$port" "$([[ $name == base ]] && echo MONGO || echo "${name^^}_MONGO")"
    mkdir -p "$VAR/mongo$suffix" "$LOG" "$RUN"
    rm -f "$RUN/mongo$suffix.pid"
    log "starting nx-27017 ($name) on 127.0.0.1:$port"
    "$bin" --host 127.0.0.1 -p "$port" --data-dir "$VAR/mongo$suffix" -d \
      --pid-file "$RUN/mongo$suffix.pid" --log-file "$LOG/mongo$suffix.log" >>"$LOG/mongo$suffix-startup.log" 2>&1 9>&- ||
      { log_tail "$LOG/mongo$suffix-startup.log"; log_tail "$LOG/mongo$suffix.log"; die "nx-27017 ($name) failed to start"; }
  fi
}

mongo_wait() {
  local name="$1" port suffix
  port="$(store_port "$name")"
  suffix="$(store_suffix "$name")"
  wait_for "mongo store $name" "$LOG/mongo$suffix.log" "$RUN/mongo$suffix.pid" mongo_answers "$port"
}

mongo_ensure() {
  local name
  for name in "${STORES[@]}"; do mongo_start "$name"; done # the daemons boot in parallel
  for name in "${STORES[@]}"; do mongo_wait "$name"; done
  log "mongo stores up ($((SECONDS - T0))s)"
}

mongo_stop_one() {
  local name="$1" pid suffix
  suffix="$(store_suffix "$name")"
  if pid="$(live_pid "$RUN/mongo$suffix.pid" nx-27017)"; then
    log "stopping nx-27017 $name (pid $pid)"
    terminate "$pid" 20
  fi
  rm -f "$RUN/mongo$suffix.pid"
}

mongo_stop() {
  local name
  for name in "${STORES[@]}"; do mongo_stop_one "$name" & done
  wait
}

mongo_status() {
  local name pid port suffix owner
  for name in "${STORES[@]}"; do
    port="$(store_port "$name")"
    suffix="$(store_suffix "$name")"
    owner="not ours"
    if pid="$(live_pid "$RUN/mongo$suffix.pid" nx-27017)"; then owner="pid $pid"; fi
    if mongo_answers "$port"; then
      printf '%-9s up    mongodb://127.0.0.1:%s/  %s (%s)\n' mongo "$port" "$name" "$owner"
    else
      printf '%-9s down  127.0.0.1:%s %s\n' mongo "$port" "$name"
    fi
  done
}

# ---------------------------------------------------------------- main

T0=$SECONDS
cmd="${1:-}"
if [[ $cmd == ensure || $cmd == stop ]]; then
  # Concurrent callers (parallel test sessions, make targets) must not start a second
  # copy of a component that is still booting: one ensure/stop at a time per checkout.
  mkdir -p "$RUN"
  exec 9>"$RUN/infra.lock" # daemons are started with 9>&- so they never hold it
  flock 9
fi
case "$cmd" in
  ensure)
    need_venv
    load_credentials
    rabbit_start
    redis_ensure
    mongo_ensure
    rabbit_wait
    log "all up in $((SECONDS - T0))s"
    ;;
  stop)
    # In parallel: RabbitMQ's graceful shutdown alone takes several seconds.
    rabbit_stop &
    redis_stop &
    mongo_stop &
    rc=0
    for job in $(jobs -p); do wait "$job" || rc=1; done
    exit "$rc"
    ;;
  status)
    need_venv
    load_credentials
    rabbit_status
    redis_status
    mongo_status
    ;;
  rabbitmqctl)
    shift
    rabbit_ctl "$@"
    ;;
  *)
    echo "usage: $0 ensure|stop|status|rabbitmqctl ARGS..." >&2
    exit 2
    ;;
esac
