"""deploy/prometheus: promtool accepts the config and rules, the rule unit tests pass, the cluster's
PrometheusRule holds the same rules, and every alert links a runbook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy_checks import (
    PROMETHEUS_CONFIG,
    ROOT,
    RULE_TESTS,
    metric_names,
    names_in_dashboard,
    promtool,
    queue_depth_alert_problems,
    rule_files,
    runbook_problems,
)

GENERATOR = ROOT / "scripts" / "gen_prometheusrule.py"


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


# ------------------------------------------------------------------ promtool


def test_promtool_accepts_the_local_config_and_the_rule_files_it_loads() -> None:
    done = promtool("check", "config", str(PROMETHEUS_CONFIG))
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.name for p in rule_files()} == {"alerts.yml", "slo.yml", "kubernetes.yml"}


def test_promtool_refuses_a_broken_config(deploy_copy: Path) -> None:
    config = deploy_copy / "prometheus" / "prometheus.yml"
    _replace(config, "scrape_interval: 15s", "scrape_interval: fifteen seconds")
    done = promtool("check", "config", str(config))
    assert done.returncode != 0 and "fifteen" in done.stdout + done.stderr


def test_promtool_accepts_every_rule_file() -> None:
    done = promtool("check", "rules", *map(str, rule_files()))
    assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_refuses_a_broken_rule(deploy_copy: Path) -> None:
    alerts = deploy_copy / "prometheus" / "alerts.yml"
    _replace(alerts, "sum(rate(baifang_http_requests_total[5m])) > 1", "sum(rate(baifang_http_requests_total[5m]) > 1")
    done = promtool("check", "rules", str(alerts))
    assert done.returncode != 0 and "alerts.yml" in done.stdout + done.stderr


def test_the_rule_unit_tests_pass() -> None:
    done = promtool("test", "rules", *map(str, RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_rule_unit_tests_catch_a_changed_threshold(deploy_copy: Path) -> None:
    folder = deploy_copy / "prometheus"
    _replace(folder / "slo.yml", 'route="/api/v1/checkins", le="0.2"', 'route="/api/v1/checkins", le="0.5"')
    _replace(
        folder / "alerts.yml",
        ") > 0.01\n      and\n      sum(rate(baifang_http",
        ") > 0.05\n      and\n      sum(rate(baifang_http",
    )
    done = promtool("test", "rules", "alerts_test.yml", "slo_test.yml", cwd=folder)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "baifang:checkin_slow_ratio" in output and "BaifangHTTP5xxRatioHigh" in output


def test_the_ingest_queue_alert_fires_before_checkin_refuses_batches() -> None:
    assert queue_depth_alert_problems(rule_files()) == []


def test_an_ingest_queue_alert_above_the_refusal_depth_is_reported(deploy_copy: Path) -> None:
    alerts = deploy_copy / "prometheus" / "alerts.yml"
    _replace(alerts, "(baifang_ingest_queue_depth) > 2500", "(baifang_ingest_queue_depth) > 10000")
    assert queue_depth_alert_problems([alerts]) == [
        "BaifangIngestQueueDepthHigh: threshold 10000 is not below CHECKIN_MAX_QUEUE_DEPTH (5000), "
        "where checkin refuses new batches: it can never fire"
    ]
    assert queue_depth_alert_problems([alerts], {"CHECKIN_MAX_QUEUE_DEPTH": "20000"}) == []


# ------------------------------------------------------------------ PrometheusRule


def _generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), *args], capture_output=True, text=True, check=False)


def test_the_cluster_prometheusrule_is_generated_from_the_same_rule_files() -> None:
    done = _generator("--check")
    assert done.returncode == 0, done.stderr


def test_a_rule_edited_without_regenerating_the_prometheusrule_is_caught(deploy_copy: Path) -> None:
    config = deploy_copy / "prometheus" / "prometheus.yml"
    output = deploy_copy / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"
    _replace(deploy_copy / "prometheus" / "kubernetes.yml", "for: 5m", "for: 10m")
    stale = _generator("--check", "--config", str(config), "--output", str(output))
    assert stale.returncode == 1 and "out of date" in stale.stderr
    assert _generator("--config", str(config), "--output", str(output)).returncode == 0
    assert _generator("--check", "--config", str(config), "--output", str(output)).returncode == 0


# ------------------------------------------------------------------ runbooks


def test_every_alert_links_its_runbook() -> None:
    assert runbook_problems(rule_files()) == []


def test_an_alert_without_a_runbook_is_reported(deploy_copy: Path) -> None:
    folder = deploy_copy / "prometheus"
    _replace(folder / "alerts.yml", "      runbook_url: deploy/runbooks/BaifangProcessDown.md\n", "")
    (deploy_copy / "runbooks" / "BaifangEventsDeadLettered.md").unlink()
    (deploy_copy / "runbooks" / "BaifangRetired.md").write_text("# an alert that no longer exists\n")
    files = [folder / p.name for p in rule_files()]
    problems = runbook_problems(files, deploy_copy / "runbooks", root=deploy_copy.parent)
    assert problems == [
        "BaifangEventsDeadLettered: runbook deploy/runbooks/BaifangEventsDeadLettered.md does not exist",
        "BaifangProcessDown: no runbook_url annotation",
        "deploy/runbooks/BaifangRetired.md: no alert of that name",
    ]


# ------------------------------------------------------------------ metric names in PromQL


def test_metric_names_are_told_apart_from_functions_labels_and_keywords() -> None:
    expr = """
      (
        sum by (le, route) (rate(baifang_http_request_seconds_bucket{route!~"/api/v1/sync|x", le=~"1(\\\\.0)?"}[5m]))
        / on (route) group_left
        sum without (instance) (increase(baifang_http_request_seconds_count[$__rate_interval] offset 1h))
      ) > 0.01 and up{app="gateway"} == bool 1 or vector(1) unless route:recorded_rule:rate5m
    """
    assert metric_names(expr) == {
        "baifang_http_request_seconds_bucket",
        "baifang_http_request_seconds_count",
        "up",
        "route:recorded_rule:rate5m",
    }
    assert metric_names("histogram_quantile(0.99, sum(rate(x_bucket[1m])) by (le)) * 1e3") == {"x_bucket"}


def test_the_dashboard_queries_are_read(deploy_copy: Path) -> None:
    assert {"baifang_http_requests_total", "grpc_server_handled_total", "up"} <= names_in_dashboard()
    dashboard = deploy_copy / "grafana" / "baifang-dashboard.json"
    _replace(dashboard, "baifang_ingest_queue_depth", "baifang_ingest_queue_deepness")
    assert "baifang_ingest_queue_deepness" in names_in_dashboard(dashboard)
