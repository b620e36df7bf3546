"""What Prometheus saw during a load-test run: p99 latency per gateway route, check-in latency,
and the age of events when each consumer applied them, over the whole run and its worst 5 minutes.

The client-side numbers (locust) include the load generator's own queueing on a shared 2-core
machine; these are the server's, from the same histograms the SLO rules and alerts use.

    python loadtests/prometheus_summary.py --start EPOCH --end EPOCH [--url http://127.0.0.1:9090]

Stdlib only. Exits 0 even when Prometheus cannot be asked (it says so): the run's verdict
belongs to run_peak.sh.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

Sample = tuple[dict[str, str], float]


class PrometheusError(RuntimeError):
    """Prometheus did not answer, or answered with an error."""


def query(url: str, expr: str, at: float) -> list[Sample]:
    """An instant query at `at`; the series' labels and values, NaN values dropped."""
    params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?{params}", timeout=30) as resp:
            body: dict[str, Any] = json.load(resp)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise PrometheusError(f"{url}: {exc}") from exc
    if body.get("status") != "success":
        raise PrometheusError(f"{expr}: {body.get('error', body)}")
    samples = []
    for row in body["data"]["result"]:
        value = float(row["value"][1])
        if not math.isnan(value):
            samples.append((row["metric"], value))
    return samples


def wait_for_last_scrape(url: str, end: float, timeout: float = 45.0) -> None:
    """Wait until every baifang target was scraped after the run ended, so its last requests count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = time.time()
        oldest = query(url, 'min(timestamp(up{job=~"baifang-.*"}))', now)
        if oldest and oldest[0][1] >= end:
            return
        time.sleep(1.0)
    print(f"(some targets were not scraped after the run ended within {timeout:.0f}s; figures may miss the end)")


def by_key(samples: list[Sample], *labels: str) -> dict[tuple[str, ...], float]:
    """Samples keyed by the values of `labels`."""
    return {tuple(metric.get(label, "") for label in labels): value for metric, value in samples}


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """histogram_quantile() as Prometheus computes it, on cumulative bucket counts by upper bound."""
    ordered = sorted(buckets.items())
    if not ordered or ordered[-1][0] != math.inf or ordered[-1][1] <= 0:
        return None
    rank = q * ordered[-1][1]
    lower, below = 0.0, 0.0
    for bound, count in ordered:
        if count >= rank:
            if bound == math.inf:
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return None


def run_histograms(url: str, metric: str, labels: tuple[str, ...], start: float, end: float, sel: str = "") -> dict:
    """Per label set, the histogram of the observations made during the run: buckets at the end minus
    buckets at the start. Exact where increase() is not: a series born during the run (a route's first
    request) has no earlier sample for increase() to start from, so its first counts would be lost."""
    expr = f"sum by (le, {', '.join(labels)}) ({metric}_bucket{sel})"
    before = by_key(query(url, expr, start), "le", *labels)
    after = by_key(query(url, expr, end), "le", *labels)
    runs: dict[tuple[str, ...], dict[float, float]] = {}
    for (le, *key), value in after.items():
        delta = value - before.get((le, *key), 0.0)
        runs.setdefault(tuple(key), {})[float(le)] = max(delta, 0.0)
    return runs


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def summary(url: str, start: float, end: float) -> list[str]:
    """The report's lines."""
    span = max(math.ceil(end - start), 60)
    window = f"{span}s"
    lines = [f"Prometheus ({url}), server side, the {end - start:.0f} s of the run:"]

    # Gateway, per route (its own /metrics left out).
    labels = ("method", "route")
    routes = run_histograms(url, "baifang_http_request_seconds", labels, start, end, '{route=~"/api/.*"}')
    worst = by_key(query(url, f"max_over_time(route:baifang_http_request_seconds:p99_5m[{window}])", end), "route")
    counted = {key: h.get(math.inf, 0.0) for key, h in routes.items() if h.get(math.inf, 0.0) >= 1}
    lines.append("")
    width = max([len(" ".join(k)) for k in counted] + [len("gateway route")]) + 2
    lines.append(f"{'gateway route':<{width}}{'requests':>10}{'p99 ms':>9}{'worst 5m p99 ms':>17}")
    for key, n in sorted(counted.items(), key=lambda item: -item[1]):
        p99 = quantile(0.99, routes[key])
        lines.append(f"{' '.join(key):<{width}}{n:>10.0f}{ms(p99):>9}{ms(worst.get((key[1],))):>17}")
    if not counted:
        lines.append("  (no requests during the run)")

    # Check-in: at the gateway and inside the checkin service.
    gateway_checkin = routes.get(("POST", "/api/v1/checkins"), {})
    grpc_checkin = run_histograms(
        url, "grpc_server_handling_seconds", ("grpc_method",), start, end, '{grpc_method="RecordCheckin"}'
    ).get(("RecordCheckin",), {})
    worst_checkin = query(url, f"max_over_time(baifang:checkin_request_seconds:p99_5m[{window}])", end)
    lines.append("")
    lines.append("check-in p99")
    lines.append(
        f"  gateway POST /api/v1/checkins   run {ms(quantile(0.99, gateway_checkin))} ms,"
        f" worst 5 min {ms(worst_checkin[0][1] if worst_checkin else None)} ms"
    )
    lines.append(f"  checkin gRPC RecordCheckin      run {ms(quantile(0.99, grpc_checkin))} ms")

    # Event age when applied, per consumer (the consuming service) and event type.
    labels = ("app", "event_type")
    ages = run_histograms(url, "baifang_event_age_seconds", labels, start, end)
    worst_age = by_key(
        query(url, f"max_over_time(app_event_type:baifang_event_age_seconds:p99_5m[{window}])", end), *labels
    )
    lines.append("")
    lines.append(f"{'event age when applied':<40}{'events':>9}{'p99 s':>9}{'worst 5m p99 s':>16}")
    applied = {key: h.get(math.inf, 0.0) for key, h in ages.items() if h.get(math.inf, 0.0) >= 1}
    for key, n in sorted(applied.items()):
        lines.append(
            f"{key[0] + ' <- ' + key[1]:<40}{n:>9.0f}{seconds(quantile(0.99, ages[key])):>9}"
            f"{seconds(worst_age.get(key)):>16}"
        )
    if not applied:
        lines.append("  (no events applied during the run)")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Print the summary; a Prometheus that cannot be asked is reported, not fatal."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("PROMETHEUS_URL", "http://127.0.0.1:9090"))
    parser.add_argument("--start", type=float, required=True, help="run start, seconds since the epoch")
    parser.add_argument("--end", type=float, required=True, help="run end, seconds since the epoch")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    try:
        wait_for_last_scrape(url, args.end)
        lines = summary(url, args.start, args.end)
    except PrometheusError as exc:
        print(f"prometheus_summary: no server-side figures, Prometheus could not be asked ({exc}); `make up` starts it")
        return 0
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
