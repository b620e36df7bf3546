"""deploy/k8s NetworkPolicies: only the gateway is open, each service's gRPC port admits exactly the
callers its allow-list names (`CALLERS` in each grpc_api.py), metrics only from monitoring; and each
workload connects only to what its code uses: DNS, its own store, RabbitMQ (the services), Redis
(whoever builds a Redis client), the gRPC servers whose address it dials."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from deploy_checks import Manifest, render

SERVICES = ("planning", "checkin", "collection", "analytics")
ROOT = Path(__file__).resolve().parents[2]
# The infrastructure is named by port in base (outside the cluster in production).
INFRA_PORTS = {27017: "store", 5672: "rabbitmq", 5671: "rabbitmq", 6379: "redis", 6380: "redis", 53: "dns"}
DNS = "dns@namespace:kube-system/kube-dns"
OPEN = "*"
MONITORING = "namespace:monitoring"


def _selects(policy: Manifest, labels: dict[str, str]) -> bool:
    wanted = policy["spec"].get("podSelector", {}).get("matchLabels", {})
    return all(labels.get(k) == v for k, v in wanted.items())


def _source(peer: dict) -> str:
    if "namespaceSelector" in peer:
        return "namespace:" + peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name", "?")
    labels = peer.get("podSelector", {}).get("matchLabels", {})
    return f"{labels.get('app.kubernetes.io/name', '?')}/{labels.get('app.kubernetes.io/component', '*')}"


def admitted(objects: list[Manifest], labels: dict[str, str]) -> dict[str, set[str]]:
    """Port name → the sources the policies selecting a pod with these labels admit ("*": anyone)."""
    ports: dict[str, set[str]] = {}
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy" and _selects(o, labels)):
        for rule in policy["spec"].get("ingress", []):
            sources = {_source(p) for p in rule.get("from", [])} or {OPEN}
            for port in rule.get("ports", [{"port": OPEN}]):
                ports.setdefault(str(port["port"]), set()).update(sources)
    return ports


def expected_grpc_callers(service: str) -> set[str]:
    """The pods that may call a service: the issuers its servicer allows (the gateway, peer gRPC servers)."""
    callers = importlib.import_module(f"{service}.grpc_api").CALLERS
    issuers = set().union(*callers.values())
    return {"gateway/gateway" if i == "gateway" else f"{i}/grpc" for i in issuers}


def _destination(peer: dict | None) -> str:
    """A peer of an egress rule: "*" (any address), namespace/pod, an instance, or name/component."""
    if peer is None:
        return OPEN
    selector = peer.get("podSelector", {})
    labels = selector.get("matchLabels", {})
    if "namespaceSelector" in peer:
        namespace = peer["namespaceSelector"].get("matchLabels", {}).get("kubernetes.io/metadata.name", "?")
        return f"namespace:{namespace}/" + ",".join(labels.values())
    if "app.kubernetes.io/instance" in labels:
        return labels["app.kubernetes.io/instance"]
    name = labels.get("app.kubernetes.io/name", "?")
    without_instance = {"key": "app.kubernetes.io/instance", "operator": "DoesNotExist"}
    if without_instance in selector.get("matchExpressions", []):
        return name  # the one pod of that name that is no other's instance (the gateway's mongodb)
    return f"{name}/{labels.get('app.kubernetes.io/component', '*')}"


def reached(objects: list[Manifest], labels: dict[str, str]) -> set[str]:
    """What the egress policies selecting a pod with these labels let it connect to, as
    "<what>@<destination>": what is the infrastructure a port means, or "grpc" (a named port)."""
    allowed: set[str] = set()
    for policy in (o for o in objects if o["kind"] == "NetworkPolicy" and _selects(o, labels)):
        for rule in policy["spec"].get("egress", []):
            for port in rule.get("ports", [{"port": OPEN}]):
                what = INFRA_PORTS.get(port["port"], str(port["port"]))
                allowed.update(f"{what}@{_destination(peer)}" for peer in rule.get("to") or [None])
    return allowed


def _source_of(package: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(package.rglob("*.py")))


def dialled_peers(package: Path) -> set[str]:
    """The gRPC servers a package's code dials: the `settings.<peer>_addr` it reads."""
    return set(re.findall(r"settings\.(planning|checkin|collection|analytics)_addr", _source_of(package)))


def builds_redis_client(package: Path) -> bool:
    return bool(re.search(r"redis_factory\.client\(|redis\.client\(|Redis\.from_url\(", _source_of(package)))


def expected_egress(workload: str, in_cluster: bool) -> set[str]:
    """From the code: every workload its store and DNS; a service RabbitMQ (its worker consumes and its
    server publishes); Redis for whoever builds a Redis client; the gRPC servers it dials.
    `in_cluster`: components/dev-infra runs the infrastructure as pods, one store per service."""
    package = ROOT / "gateway" / "gateway" if workload == "gateway" else ROOT / "services" / workload / workload
    store = ("mongodb" if workload == "gateway" else f"mongodb-{workload}") if in_cluster else OPEN
    want = {DNS, f"store@{store}"}
    if workload != "gateway":
        want.add("rabbitmq@" + ("rabbitmq/*" if in_cluster else OPEN))
    if builds_redis_client(package):
        want.add("redis@" + ("redis/*" if in_cluster else OPEN))
    want |= {f"grpc@{peer}/grpc" for peer in dialled_peers(package)}
    return want


def egress_problems(objects: list[Manifest]) -> list[str]:
    problems = []
    default_deny = [
        o
        for o in objects
        if o["kind"] == "NetworkPolicy"
        and o["spec"].get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/part-of": "baifang"}
        and "Egress" in o["spec"].get("policyTypes", [])
        and not o["spec"].get("egress")
    ]
    if not default_deny:
        problems.append("no default-deny egress policy for the baifang pods")
    in_cluster = any(o["kind"] == "StatefulSet" and o["metadata"]["name"] == "rabbitmq" for o in objects)
    pods = [o["spec"]["template"]["metadata"]["labels"] for o in objects if o["kind"] == "Deployment"]
    names = sorted((p["app.kubernetes.io/name"], p["app.kubernetes.io/component"]) for p in pods)
    if names != sorted([("gateway", "gateway")] + [(s, c) for s in SERVICES for c in ("grpc", "worker")]):
        problems.append(f"unexpected Deployments: {names}")
    for labels in pods:
        name, component = labels["app.kubernetes.io/name"], labels["app.kubernetes.io/component"]
        got, want = reached(objects, labels), expected_egress(name, in_cluster)
        if got != want:
            problems.append(f"{name}-{component} reaches {sorted(got)}, expected {sorted(want)}")
    return problems


def network_problems(objects: list[Manifest]) -> list[str]:
    problems = []
    deny_all = [
        o
        for o in objects
        if o["kind"] == "NetworkPolicy"
        and o["spec"].get("podSelector", {}).get("matchLabels") == {"app.kubernetes.io/part-of": "baifang"}
        and not o["spec"].get("ingress")
    ]
    if not deny_all:
        problems.append("no default-deny ingress policy for the baifang pods")
    gateway = admitted(objects, {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/component": "gateway"})
    if gateway != {"http": {OPEN}}:
        problems.append(f"gateway admits {gateway}, expected the http port open")
    for service in SERVICES:
        for component in ("grpc", "worker"):
            labels = {"app.kubernetes.io/name": service, "app.kubernetes.io/component": component}
            got = admitted(objects, labels)
            want = {"metrics": {MONITORING}}
            if component == "grpc":
                want["grpc"] = expected_grpc_callers(service)
            if got != want:
                problems.append(f"{service}-{component} admits {got}, expected {want}")
    return problems


def test_only_the_gateway_is_open_and_each_service_admits_its_callers(rendered) -> None:
    for name, objects in rendered.items():
        assert network_problems(objects) == [], name


def test_a_service_open_to_a_peer_its_allow_list_does_not_name_is_reported(deploy_copy: Path) -> None:
    planning = deploy_copy / "k8s" / "base" / "services" / "planning" / "kustomization.yaml"
    planning.write_text(
        planning.read_text().replace("app.kubernetes.io/name: checkin", "app.kubernetes.io/name: analytics")
    )
    problems = network_problems(render(deploy_copy / "k8s" / "overlays" / "local"))
    assert [p for p in problems if p.startswith("planning-grpc admits")], problems


def test_metrics_open_beyond_monitoring_are_reported(deploy_copy: Path) -> None:
    shape = deploy_copy / "k8s" / "base" / "service-shape" / "service.yaml"
    shape.write_text(shape.read_text().replace("kubernetes.io/metadata.name: monitoring", "team: anyone"))
    problems = network_problems(render(deploy_copy / "k8s" / "overlays" / "prod"))
    assert len([p for p in problems if "metrics" in p]) == 8, problems


def test_each_workload_reaches_only_what_its_code_uses(rendered) -> None:
    for name, objects in rendered.items():
        assert egress_problems(objects) == [], name


def test_the_dialled_peers_and_redis_users_are_read_from_the_code() -> None:
    """The expectations themselves: checkin and collection call planning, the gateway every service;
    checkin and the gateway use Redis (docs/architecture.md)."""
    assert dialled_peers(ROOT / "services" / "checkin" / "checkin") == {"planning", "collection"}
    assert dialled_peers(ROOT / "services" / "analytics" / "analytics") == set()
    assert dialled_peers(ROOT / "gateway" / "gateway") == set(SERVICES)
    assert [s for s in SERVICES if builds_redis_client(ROOT / "services" / s / s)] == ["checkin"]


def test_a_service_that_may_reach_a_peer_it_does_not_call_is_reported(deploy_copy: Path) -> None:
    collection = deploy_copy / "k8s" / "base" / "services" / "collection" / "kustomization.yaml"
    collection.write_text(collection.read_text().replace("name: planning\n", "name: analytics\n"))
    problems = egress_problems(render(deploy_copy / "k8s" / "overlays" / "prod"))
    assert [p for p in problems if p.startswith("collection-grpc reaches")], problems


def test_a_service_that_may_reach_another_store_or_redis_is_reported(deploy_copy: Path) -> None:
    dev_infra = deploy_copy / "k8s" / "components" / "dev-infra" / "kustomization.yaml"
    dev_infra.write_text(dev_infra.read_text().replace("instance: mongodb-analytics", "instance: mongodb-planning"))
    shape = deploy_copy / "k8s" / "base" / "service-shape" / "service.yaml"
    shape.write_text(shape.read_text().replace("        - port: 5671\n", "        - port: 6379\n"))
    problems = egress_problems(render(deploy_copy / "k8s" / "overlays" / "local"))
    assert [p for p in problems if p.startswith("analytics-worker reaches")], problems
    assert [p for p in problems if p.startswith("planning-grpc reaches") and "redis" in p], problems


def test_a_missing_default_deny_egress_is_reported(deploy_copy: Path) -> None:
    policies = deploy_copy / "k8s" / "base" / "network-policies.yaml"
    text = policies.read_text()
    assert "    - Egress\n---\n# Name resolution" in text
    policies.write_text(text.replace("    - Egress\n---\n# Name resolution", "    - Ingress\n---\n# Name resolution"))
    problems = egress_problems(render(deploy_copy / "k8s" / "overlays" / "prod"))
    assert "no default-deny egress policy for the baifang pods" in problems
