"""Reading the local stack's Prometheus endpoints: snapshots, deltas, histogram quantiles.

    .venv/bin/python loadtests/stack_metrics.py snapshot FILE   # before a run
    .venv/bin/python loadtests/stack_metrics.py event-age FILE  # after it: p99 event age per consumer
    .venv/bin/python loadtests/stack_metrics.py drain [SECONDS]  # wait until the event queues are empty
    .venv/bin/python loadtests/stack_metrics.py drained-after UNIX_TIME SECONDS  # how long after a run they were
    .venv/bin/python loadtests/stack_metrics.py cpu-snapshot FILE  # before a run: CPU seconds per process
    .venv/bin/python loadtests/stack_metrics.py cpu FILE REQUESTS  # after it: where the cores went

`make up` serves each process's metrics on 9101-9108 (scripts/stack.py: the gRPC process and the
worker of planning, checkin, collection, analytics); STACK_PORT_OFFSET shifts them like
`stack.py --port-offset`. A process that does not answer is left out.
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from baifang_common.settings import ServiceSettings

SERVICES = ("planning", "checkin", "collection", "analytics")
PROCESSES = {
    f"{svc}-{kind}": 9101 + 2 * i + k for i, svc in enumerate(SERVICES) for k, kind in enumerate(("grpc", "worker"))
}
AGE = "baifang_event_age_seconds"
RUN_DIR = Path(__file__).resolve().parent.parent / "var" / "run"

Samples = dict[str, float]  # "name{label=value,...}" -> value


def port_of(process: str) -> int:
    return PROCESSES[process] + int(os.environ.get("STACK_PORT_OFFSET", "0"))


def sample_key(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ",".join(f"{k}={labels[k]}" for k in sorted(labels)) + "}"


def scrape(process: str, timeout: float = 3.0) -> Samples:
    """Every sample of one process ({} when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port_of(process)}/metrics", timeout=timeout) as resp:
            text = resp.read().decode()
    except (urllib.error.URLError, OSError):
        return {}
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample_key(sample.name, sample.labels)] = float(sample.value)
    return samples


def snapshot(processes: Iterable[str] = PROCESSES) -> dict[str, Samples]:
    return {process: scrape(process) for process in processes}


def metric_sum(samples: Samples, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total = 0.0
    for key, value in samples.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        have = dict(part.split("=", 1) for part in rest.rstrip("}").split(",") if part)
        if all(have.get(k) == v for k, v in labels.items()):
            total += value
    return total


def delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much a counter (or a histogram's _sum / _count) grew between two scrapes."""
    return metric_sum(after, name, **labels) - metric_sum(before, name, **labels)


def quantile(buckets: dict[float, float], q: float) -> float | None:
    """histogram_quantile over cumulative bucket counts {le: count}; None without observations."""
    bounds = sorted(buckets)
    total = buckets.get(math.inf, 0.0)
    if total <= 0:
        return None
    target = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= target:
            if math.isinf(bound):
                return previous_bound  # beyond the last finite bucket: its bound is the floor
            if count == previous_count:
                return bound
            return previous_bound + (bound - previous_bound) * (target - previous_count) / (count - previous_count)
        previous_bound, previous_count = bound, count
    return None


def age_histograms(before: Samples, after: Samples) -> dict[str, dict[float, float]]:
    """event_type -> {le: observations during the window} of baifang_event_age_seconds."""
    out: dict[str, dict[float, float]] = {}
    for key, value in after.items():
        if not key.startswith(AGE + "_bucket{"):
            continue
        labels = dict(part.split("=", 1) for part in key.split("{", 1)[1].rstrip("}").split(","))
        le = math.inf if labels["le"] in ("+Inf", "inf") else float(labels["le"])
        out.setdefault(labels["event_type"], {})[le] = value - before.get(key, 0.0)
    return out


def event_age_line(before: dict[str, Samples], after: dict[str, Samples]) -> str:
    """One line: p99 event age per consumer (process, event type) over the window."""
    parts = []
    for process in PROCESSES:
        for event_type, buckets in sorted(age_histograms(before.get(process, {}), after.get(process, {})).items()):
            p99 = quantile(buckets, 0.99)
            if p99 is None:
                continue
            parts.append(f"{process.removesuffix('-worker')} {event_type} {p99:.2f} s (n={int(buckets[math.inf])})")
    return "event age p99 per consumer: " + ("; ".join(parts) if parts else "no events consumed")


def queue_depths() -> dict[str, int]:
    """Messages (ready + unacknowledged) per queue of AMQP_URI's vhost, from the management API
    (RABBITMQ_MGMT_PORT); dead-letter queues left out. Its counts lag a few seconds."""
    amqp = urllib.parse.urlsplit(ServiceSettings().amqp_uri)
    vhost = urllib.parse.unquote(amqp.path[1:]) if len(amqp.path) > 1 else "/"
    port = os.environ.get("RABBITMQ_MGMT_PORT", "15672")
    url = f"http://127.0.0.1:{port}/api/queues/{urllib.parse.quote(vhost, safe='')}?columns=name,messages"
    user, password = urllib.parse.unquote(amqp.username or ""), urllib.parse.unquote(amqp.password or "")
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {auth}"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        queues = json.loads(resp.read())
    return {q["name"]: int(q.get("messages") or 0) for q in queues if not q["name"].endswith(".dlq")}


def drain(timeout: float, poll: float = 5.0, quiet: bool = False) -> bool:
    """Wait until every event queue is empty (twice in a row, the API lags); False on timeout."""
    deadline = time.monotonic() + timeout
    empty_in_a_row = 0
    while time.monotonic() < deadline:
        depths = queue_depths()
        waiting = sum(depths.values())
        empty_in_a_row = empty_in_a_row + 1 if waiting == 0 else 0
        if empty_in_a_row >= 2:
            return True
        busiest = ", ".join(f"{n} {d}" for n, d in sorted(depths.items(), key=lambda kv: -kv[1])[:3] if d)
        if not quiet:
            print(f"  waiting for {waiting} queued events ({busiest})" if waiting else "  queues empty", flush=True)
        time.sleep(poll)
    return False


def drained_after(since: float, timeout: float) -> str:
    """How long after `since` (a Unix time: the run's end) every event queue was empty; the
    management API refreshes its counts every 5 s, so the figure is good to about that."""
    if drain(timeout, poll=1.0, quiet=True):
        return f"event queues empty {time.time() - since:.0f} s after the run (target: 30 s)"
    return f"event queues not empty {time.time() - since:.0f} s after the run: {queue_depths()}"


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (the gateway's workers, say)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        todo.extend(int(c) for c in children)
    return total


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy (all processes, ours or not)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(run_dir: Path = RUN_DIR) -> dict[str, float]:
    """CPU seconds so far of every process with a pid file (stack, stores, broker, Redis), by name."""
    seconds: dict[str, float] = {"(machine, busy)": machine_busy_seconds(), "(wall clock)": time.time()}
    for pid_file in sorted(run_dir.glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if Path(f"/proc/{pid}").exists():
            seconds[pid_file.stem] = tree_cpu_seconds(pid)
    return seconds


def cpu_report(before: dict[str, float], after: dict[str, float], requests: int) -> list[str]:
    """One line per process: cores used on average over the run and CPU ms per request, busiest first;
    then the whole machine, whose remainder is the load generator and anything else running."""
    wall = after["(wall clock)"] - before["(wall clock)"]
    spent = {name: after[name] - before[name] for name in after if name in before and not name.startswith("(")}
    machine = after["(machine, busy)"] - before["(machine, busy)"]
    lines = [f"{'process':<22}{'cores':>7}{'ms/request':>12}"]
    for name, sec in sorted(spent.items(), key=lambda kv: -kv[1]):
        lines.append(f"{name:<22}{sec / wall:>7.2f}{sec * 1000 / max(requests, 1):>12.2f}")
    ours = sum(spent.values())
    lines.append(f"{'all of the above':<22}{ours / wall:>7.2f}{ours * 1000 / max(requests, 1):>12.2f}")
    lines.append(f"{'everything else':<22}{(machine - ours) / wall:>7.2f}{'':>12}  (the load generator, other work)")
    lines.append(f"{'machine':<22}{machine / wall:>7.2f}{'':>12}  of {os.cpu_count()} cores, over {wall:.0f} s")
    return lines


def main(argv: list[str]) -> int:
    if argv and argv[0] == "drain" and len(argv) <= 2:
        return 0 if drain(float(argv[1]) if len(argv) == 2 else 600.0) else 1
    if len(argv) == 3 and argv[0] == "drained-after":
        print(drained_after(float(argv[1]), float(argv[2])))
        return 0
    if len(argv) == 2 and argv[0] == "cpu-snapshot":
        Path(argv[1]).write_text(json.dumps(cpu_snapshot()))
        return 0
    if len(argv) == 3 and argv[0] == "cpu":
        before = json.loads(Path(argv[1]).read_text())
        print("\n".join(cpu_report(before, cpu_snapshot(), int(argv[2]))))
        return 0
    if len(argv) != 2 or argv[0] not in ("snapshot", "event-age"):
        print(__doc__, file=sys.stderr)
        return 2
    command, path = argv
    if command == "snapshot":
        Path(path).write_text(json.dumps(snapshot()))
        return 0
    before = json.loads(Path(path).read_text()) if Path(path).exists() else {}
    print(event_age_line(before, snapshot()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
