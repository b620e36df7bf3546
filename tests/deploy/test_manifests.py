"""deploy/k8s: every overlay renders, validates against its schemas and keeps the house rules."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from deploy_checks import (
    Manifest,
    RenderError,
    deployment_problems,
    ingress_problems,
    overlay_dirs,
    placeholder_problems,
    render,
    scaledobject_problems,
    schema_problems,
    service_problems,
)


def _find(objects: list[Manifest], kind: str, name: str) -> Manifest:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _edit_yaml(path: Path, change) -> None:
    """Apply `change` to every document of a manifest file."""
    docs = list(yaml.safe_load_all(path.read_text()))
    for doc in docs:
        change(doc)
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


# ------------------------------------------------------------------ rendering


def test_every_overlay_renders_with_every_service_shape_filled_in(rendered) -> None:
    assert set(rendered) == {"local", "prod", "prod-queue-autoscaling"}
    for name, objects in rendered.items():
        deployments = {o["metadata"]["name"] for o in objects if o["kind"] == "Deployment"}
        assert {"gateway", "checkin-grpc", "checkin-worker", "analytics-worker"} <= deployments, name
        assert len(deployments) == 9, name
        assert placeholder_problems(objects) == [], name


def test_a_kustomization_naming_a_missing_file_does_not_render(deploy_copy: Path) -> None:
    overlay = deploy_copy / "k8s" / "overlays" / "prod"
    (overlay / "ingress.yaml").unlink()
    with pytest.raises(RenderError, match=r"ingress\.yaml"):
        render(overlay)


def test_a_service_shape_field_left_unfilled_is_caught(deploy_copy: Path) -> None:
    shape = deploy_copy / "k8s" / "base" / "service-shape" / "kustomization.yaml"
    text = shape.read_text()
    assert "          - spec.template.spec.containers.0.args.2\n" in text
    shape.write_text(text.replace("          - spec.template.spec.containers.0.args.2\n", ""))
    problems = placeholder_problems(render(deploy_copy / "k8s" / "overlays" / "local"))
    assert any("Deployment/planning-grpc" in p for p in problems), problems


def test_every_service_is_deployed_on_its_port_and_found_by_its_peers(rendered) -> None:
    for name, objects in rendered.items():
        assert service_problems(objects) == [], name


def test_a_service_on_another_port_than_its_peers_expect_is_reported(deploy_copy: Path) -> None:
    shape = deploy_copy / "k8s" / "base" / "services" / "collection" / "shape.yaml"
    shape.write_text(shape.read_text().replace("grpcPort: 50053", "grpcPort: 50055"))
    problems = service_problems(render(deploy_copy / "k8s" / "overlays" / "local"))
    assert problems == [
        "collection: gRPC port 50055, scripts/stack.py has 50053",
        "collection: COLLECTION_ADDR is 'collection:50053', its Service is collection:50055",
    ]


# ------------------------------------------------------------------ schemas


def test_every_rendered_object_matches_its_kubernetes_or_crd_schema(rendered) -> None:
    for name, objects in rendered.items():
        assert schema_problems(objects) == [], name


def test_a_misspelt_field_in_a_manifest_fails_schema_validation(deploy_copy: Path) -> None:
    gateway = deploy_copy / "k8s" / "base" / "gateway.yaml"

    def misspell(doc: Manifest) -> None:
        if doc["kind"] == "Deployment":
            container = doc["spec"]["template"]["spec"]["containers"][0]
            container["readinesProbe"] = container.pop("readinessProbe")

    _edit_yaml(gateway, misspell)
    problems = schema_problems(render(deploy_copy / "k8s" / "overlays" / "prod"))
    assert any("Deployment/gateway" in p and "readinesProbe" in p for p in problems), problems


def test_wrong_types_and_unknown_kinds_fail_schema_validation(rendered) -> None:
    objects = copy.deepcopy(rendered["prod-queue-autoscaling"])
    _find(objects, "Deployment", "planning-grpc")["spec"]["replicas"] = "two"
    scaled = _find(objects, "ScaledObject", "checkin-worker")
    scaled["spec"]["triggers"][1]["metadata"]["value"] = 500  # KEDA metadata values are strings
    del _find(objects, "ScaledObject", "analytics-worker")["spec"]["triggers"][1]["metadata"]["queueName"]
    _find(objects, "PrometheusRule", "baifang")["spec"]["groups"][0]["rules"][0].pop("expr")
    objects.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    problems = "\n".join(schema_problems(objects))
    assert "Deployment/planning-grpc" in problems
    assert "ScaledObject/checkin-worker: spec.triggers.1.metadata.value" in problems
    assert "ScaledObject/analytics-worker" in problems and "queueName" in problems
    assert "PrometheusRule/baifang: spec.groups.0.rules.0" in problems
    assert "Widget/w: no schema" in problems


def test_keda_rules_beyond_the_crd_are_validated(rendered) -> None:
    objects = copy.deepcopy(rendered["prod-queue-autoscaling"])
    # KEDA's webhook refuses a fallback beside a cpu trigger.
    _find(objects, "ScaledObject", "checkin-worker")["spec"]["fallback"] = {"failureThreshold": 3, "replicas": 4}
    problems = schema_problems([o for o in objects if o["kind"] == "ScaledObject"])
    assert any(p.startswith("ScaledObject/checkin-worker") for p in problems), problems


# ------------------------------------------------------------------ Deployments


def test_every_deployment_has_resources_probes_a_locked_down_pod_and_time_to_drain(rendered) -> None:
    for name, objects in rendered.items():
        assert deployment_problems(objects) == [], name


def test_deployments_breaking_the_rules_are_reported(rendered) -> None:
    objects = copy.deepcopy(rendered["prod"])
    limits = _find(objects, "Deployment", "planning-worker")["spec"]["template"]["spec"]
    del limits["containers"][0]["resources"]["limits"]
    probes = _find(objects, "Deployment", "checkin-grpc")["spec"]["template"]["spec"]["containers"][0]
    del probes["readinessProbe"]
    root = _find(objects, "Deployment", "collection-grpc")["spec"]["template"]["spec"]
    root["securityContext"]["runAsNonRoot"] = False
    del root["containers"][0]["securityContext"]["runAsNonRoot"]
    writable = _find(objects, "Deployment", "analytics-worker")["spec"]["template"]["spec"]["containers"][0]
    writable["securityContext"]["readOnlyRootFilesystem"] = False
    _find(objects, "Deployment", "gateway")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 5
    problems = "\n".join(deployment_problems(objects))
    assert "Deployment/planning-worker container worker: no cpu limit" in problems
    assert "Deployment/checkin-grpc container grpc: no readinessProbe" in problems
    assert "Deployment/collection-grpc container grpc: may run as root" in problems
    assert "Deployment/analytics-worker container worker: root filesystem is writable" in problems
    assert "Deployment/gateway: terminationGracePeriodSeconds 5 is not longer than its shutdown (15 s)" in problems


def test_a_drain_configured_longer_than_the_grace_period_is_reported(deploy_copy: Path) -> None:
    config = deploy_copy / "k8s" / "base" / "config.env"
    config.write_text(config.read_text() + "DRAIN_SECONDS=25\n")
    problems = deployment_problems(render(deploy_copy / "k8s" / "overlays" / "prod"))
    assert len(problems) == 4 and all("grpc: terminationGracePeriodSeconds 30" in p for p in problems), problems


# ------------------------------------------------------------------ Ingress


def test_the_ingress_matches_the_gateway_limits(rendered) -> None:
    assert [o for o in rendered["prod"] if o["kind"] == "Ingress"]
    assert ingress_problems(rendered["prod"]) == []


def test_an_ingress_out_of_step_with_the_gateway_is_reported(deploy_copy: Path) -> None:
    ingress = deploy_copy / "k8s" / "overlays" / "prod" / "ingress.yaml"

    def loosen(doc: Manifest) -> None:
        notes = doc["metadata"]["annotations"]
        if doc["metadata"]["name"] == "gateway-ingest":
            notes["nginx.ingress.kubernetes.io/proxy-body-size"] = "1m"
        if doc["metadata"]["name"] == "gateway":
            notes["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "30"
        if doc["metadata"]["name"] == "gateway-stream":
            del notes["nginx.ingress.kubernetes.io/proxy-buffering"]

    _edit_yaml(ingress, loosen)
    problems = "\n".join(ingress_problems(render(deploy_copy / "k8s" / "overlays" / "prod")))
    assert "/api/v1/tracks: proxy-body-size 1048576 bytes, the gateway accepts 524288" in problems
    assert "Ingress/gateway /api/v1: proxy-read-timeout not longer than the gateway's 30 s deadline" in problems
    assert "/api/v1/team/positions/stream: the SSE stream is buffered" in problems


# ------------------------------------------------------------------ KEDA


def test_scaled_objects_watch_queues_their_worker_consumes_and_replace_its_hpa(rendered) -> None:
    objects = rendered["prod-queue-autoscaling"]
    assert {o["metadata"]["name"] for o in objects if o["kind"] == "ScaledObject"} == {
        "checkin-worker",
        "analytics-worker",
    }
    assert scaledobject_problems(objects) == []
    # The default stays CPU: prod itself has the checkin-worker HPA and no ScaledObject.
    assert _find(rendered["prod"], "HorizontalPodAutoscaler", "checkin-worker")
    assert not [o for o in rendered["prod"] if o["kind"] == "ScaledObject"]


def test_a_scaled_object_on_an_unconsumed_queue_or_beside_an_hpa_is_reported(deploy_copy: Path) -> None:
    component = deploy_copy / "k8s" / "components" / "queue-autoscaling"
    scaled = component / "scaledobjects.yaml"
    scaled.write_text(scaled.read_text().replace("--analytics.on_visit_missed", "--analytics.on_visit_mised"))
    kustomization = component / "kustomization.yaml"
    text = kustomization.read_text()
    kustomization.write_text(text[: text.index("  # KEDA owns the HPA")] + text[text.index("  # Replicas belong") :])
    problems = "\n".join(scaledobject_problems(render(deploy_copy / "k8s" / "overlays" / "prod-queue-autoscaling")))
    assert "analytics's worker consumes no queue 'evt-planning-visit.missed--analytics.on_visit_mised'" in problems
    assert "checkin-worker also has a HorizontalPodAutoscaler" in problems


def test_overlays_are_found_by_folder() -> None:
    assert [p.name for p in overlay_dirs()] == ["local", "prod", "prod-queue-autoscaling"]
