"""deploy/k8s NetworkPolicies: only the gateway is open, each service's gRPC port admits exactly the
callers its allow-list names (`CALLERS` in each grpc_api.py), metrics only from monitoring."""

from __future__ import annotations

import importlib
from pathlib import Path

from deploy_checks import Manifest, render

SERVICES = ("planning", "checkin", "collection", "analytics")
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
