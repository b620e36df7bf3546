#!/usr/bin/env bash
# The morning peak, headless: PEAK_USERS tablets (default 2000) for PEAK_MINUTES (default 10)
# against the local stack, then a summary from the CSV report with the p99 event age per consumer
# over the run (baifang_event_age_seconds of each worker), and last the server's view from
# Prometheus (PROMETHEUS_URL, default http://127.0.0.1:9090, started by `make up`): p99 per
# gateway route, check-in p99, event age p99 per consumer. Exits non-zero when any request
# failed, the client-side check-in p99 is over CHECKIN_P99_MS (default 200) or the tracks p99 over
# TRACKS_P99_MS (default 200).
#
# After the run, how long until every event queue is empty again (the backlog the run left).
#
#   make peak                                       # reseeds the peak data set (make seed-peak) first
#   PEAK_USERS=200 PEAK_MINUTES=2 make peak
#   bash loadtests/run_peak.sh                      # against the data there is
#
# Each tablet is signed in as its own manager (BAIFANG_DEMO_MANAGERS, 2000 with `make seed-peak`),
# with a session remembered before the run (see below).
# The run starts once the event queues are empty (the seed's events absorbed), so a seed's
# backlog is not measured as the peak's.
#
# One locust process, no master/workers: the 2 cores are shared with the system under
# test, and this load (~270 requests/s at 2000 tablets) takes a FastHttpUser process a
# small part of one core (measured: ~5k requests/s per core). Workers would
# only take more CPU away from the gateway and the services being measured.
set -euo pipefail

cd "$(dirname "$0")/.."
URL="${BAIFANG_URL:-http://127.0.0.1:8080}"
PEAK_USERS="${PEAK_USERS:-2000}"
PEAK_MINUTES="${PEAK_MINUTES:-10}"
CHECKIN_P99_MS="${CHECKIN_P99_MS:-200}"
TRACKS_P99_MS="${TRACKS_P99_MS:-200}"
REPORTS=loadtests/reports
BAIFANG_DEMO_MANAGERS="${BAIFANG_DEMO_MANAGERS:-2000}"
export PEAK_USERS PEAK_MINUTES BAIFANG_URL="$URL" BAIFANG_DEMO_MANAGERS

case "$URL" in
  http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
  *) echo "run_peak: BAIFANG_URL must be a loopback address, got $URL" >&2; exit 2 ;;
esac
if ! curl -fsS -m 3 "$URL/readyz" >/dev/null; then
  echo "run_peak: $URL/readyz does not answer ready; start the stack first (make up)" >&2
  exit 2
fi

mkdir -p "$REPORTS"
rm -f "$REPORTS"/peak_*.csv "$REPORTS"/peak.html "$REPORTS"/metrics_before.json "$REPORTS"/cpu_before.json
echo "run_peak: waiting for the event queues to drain (the seed's events)"
.venv/bin/python loadtests/stack_metrics.py drain "${PEAK_DRAIN_SECONDS:-900}" ||
  echo "run_peak: the queues did not drain within ${PEAK_DRAIN_SECONDS:-900}s; running anyway" >&2
# Each tablet starts with the session it remembered, as a real one does: one password login per
# manager here, before the clock starts (loadtests/peak_sessions.py; PEAK_SESSIONS=0 skips it and
# every tablet logs in with its password during the ramp).
rm -f "$REPORTS/peak_sessions.json"
if [[ "${PEAK_SESSIONS:-1}" != 0 ]]; then
  .venv/bin/python loadtests/peak_sessions.py
fi
.venv/bin/python loadtests/stack_metrics.py snapshot "$REPORTS/metrics_before.json"
.venv/bin/python loadtests/stack_metrics.py cpu-snapshot "$REPORTS/cpu_before.json"
# The shape ends the run after PEAK_MINUTES; `timeout` is the backstop (a minute of grace, then SIGINT, then KILL).
limit=$(.venv/bin/python -c "print(int(float('$PEAK_MINUTES') * 60 + 60))")
echo "run_peak: $PEAK_USERS tablets, $PEAK_MINUTES min, against $URL (reports in $REPORTS/)"
rc=0
run_start=$(date +%s.%N)
timeout --signal=INT --kill-after=30 "$limit" \
  .venv/bin/locust -f loadtests/locustfile.py --headless --host "$URL" \
  --csv "$REPORTS/peak" --html "$REPORTS/peak.html" --only-summary --stop-timeout 10 \
  --loglevel "${PEAK_LOGLEVEL:-WARNING}" || rc=$?
run_end=$(date +%s.%N)
if [[ ! -s "$REPORTS/peak_stats.csv" ]]; then
  echo "run_peak: locust wrote no statistics (exit $rc)" >&2
  exit 2
fi
age_line="$(.venv/bin/python loadtests/stack_metrics.py event-age "$REPORTS/metrics_before.json" || true)"
requests="$(.venv/bin/python -c "import csv, sys; print(next((r['Request Count'] for r in csv.DictReader(open(sys.argv[1])) if r['Name'] == 'Aggregated'), 0))" "$REPORTS/peak_stats.csv")"
cpu_table="$(.venv/bin/python loadtests/stack_metrics.py cpu "$REPORTS/cpu_before.json" "$requests" || true)"
drain_line="$(.venv/bin/python loadtests/stack_metrics.py drained-after "$run_end" "${PEAK_AFTER_DRAIN_SECONDS:-300}" || true)"

verdict=0
CHECKIN_P99_MS="$CHECKIN_P99_MS" TRACKS_P99_MS="$TRACKS_P99_MS" AGE_LINE="$age_line" DRAIN_LINE="$drain_line" .venv/bin/python - "$REPORTS" <<'PY' || verdict=$?
"""Summary of loadtests/reports/peak_stats.csv; exit 1 on failures or a slow check-in p99."""
import csv
import os
import sys
from pathlib import Path

reports = Path(sys.argv[1])
limit = float(os.environ["CHECKIN_P99_MS"])
tracks_limit = float(os.environ["TRACKS_P99_MS"])
rows = list(csv.DictReader((reports / "peak_stats.csv").open()))


def num(row, key):
    value = row.get(key, "")
    return float(value) if value not in ("", "N/A") else 0.0


width = max(len(r["Name"]) for r in rows) + 2
head = f"{'request':<{width}}{'count':>9}{'fail':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'rps':>9}"
print()
print(head)
print("-" * len(head))
for r in sorted(rows, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
    name = r["Name"]
    print(
        f"{name:<{width}}{int(num(r, 'Request Count')):>9}{int(num(r, 'Failure Count')):>7}"
        f"{num(r, '50%'):>9.0f}{num(r, '95%'):>9.0f}{num(r, '99%'):>9.0f}"
        f"{num(r, 'Max Response Time'):>9.0f}{num(r, 'Requests/s'):>9.1f}"
    )

problems = []
total = next((r for r in rows if r["Name"] == "Aggregated"), None)
failures = int(num(total, "Failure Count")) if total else 0
if failures:
    problems.append(f"{failures} failed requests")
    failures_csv = reports / "peak_failures.csv"
    if failures_csv.exists():
        print("\nfailures (most frequent first):")
        for f in sorted(csv.DictReader(failures_csv.open()), key=lambda f: -int(f["Occurrences"]))[:10]:
            print(f"  {f['Occurrences']:>6} x {f['Name']}: {f['Error'][:150]}")
checkin = next((r for r in rows if r["Name"] == "POST /api/v1/checkins"), None)
if checkin is None or num(checkin, "Request Count") == 0:
    problems.append("no check-ins were made")
elif num(checkin, "99%") > limit:
    problems.append(f"check-in p99 {num(checkin, '99%'):.0f} ms > {limit:.0f} ms")
tracks = next((r for r in rows if r["Name"] == "POST /api/v1/tracks"), None)
if tracks is not None and num(tracks, "Request Count") and num(tracks, "99%") > tracks_limit:
    problems.append(f"tracks p99 {num(tracks, '99%'):.0f} ms > {tracks_limit:.0f} ms")
print()
print("run_peak: " + os.environ.get("AGE_LINE", "event age: not read"))
print("run_peak: " + os.environ.get("DRAIN_LINE", "queue drain after the run: not read"))
if problems:
    print("run_peak: FAILED: " + "; ".join(problems))
    sys.exit(1)
p99 = num(checkin, "99%")
print(f"run_peak: OK: 0 failures, check-in p99 {p99:.0f} ms <= {limit:.0f} ms, tracks p99 <= {tracks_limit:.0f} ms (report: {reports}/peak.html)")
PY

echo
echo "run_peak: CPU during the run, per process (with its children) and per request made:"
echo "$cpu_table" | sed 's/^/  /'
echo
.venv/bin/python loadtests/prometheus_summary.py --url "${PROMETHEUS_URL:-http://127.0.0.1:9090}" \
  --start "$run_start" --end "$run_end"
exit "$verdict"
