"""Deployment checks: deploy/ rendered by kubectl kustomize, validated offline against the
Kubernetes and CRD schemas, held to the house rules, the Prometheus config and rules checked
and unit-tested by promtool. Nothing here needs the infrastructure. Every check is also fed a
deliberately broken copy of its input, so a check that cannot fail cannot pass unnoticed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from deploy_checks import DEPLOY, K8S, Manifest, overlay_dirs, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    """overlay name -> its rendered objects, rendered once per session."""
    return {path.name: render(path) for path in overlay_dirs()}


@pytest.fixture
def deploy_copy(tmp_path: Path) -> Path:
    """A private copy of deploy/ to break (its k8s, prometheus, grafana and runbooks folders)."""
    target = tmp_path / "deploy"
    shutil.copytree(DEPLOY, target, ignore=shutil.ignore_patterns("docker"))
    assert (target / K8S.relative_to(DEPLOY)).is_dir()
    return target
