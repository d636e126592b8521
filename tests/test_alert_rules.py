"""docs/alerts.rules.yml parses as a Prometheus rules file, each rule says what it means and
what to do first, and its expressions name only metrics the app exports."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from checkout import metrics

RULES = Path(__file__).resolve().parent.parent / "docs" / "alerts.rules.yml"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
# What is not a metric in PromQL: strings, label matchers, ranges, grouping clauses,
# numbers, function names (followed by "(") and the set operators.
NOT_METRICS = re.compile(
    r'"[^"]*"|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without)\s*\([^)]*\)|\b\d+(?:\.\d+)?\b'
    r"|\b[a-z_]+\s*\(|\b(?:and|or|unless|bool|on|ignoring)\b"
)


def rules() -> list[dict]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expression: str) -> set[str]:
    """Return the metric names an expression selects."""
    # Until nothing changes: removing `by (le)` makes `sum (` a function call.
    while (stripped := NOT_METRICS.sub(" ", expression)) != expression:
        expression = stripped
    return set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expression))


def exported(app) -> set[str]:
    """Return every sample name the app's /metrics can show."""
    with app.app_context():
        families = [*REGISTRY.collect(), *metrics.scrape_time_metrics(timedelta(minutes=30))]
    return {
        family.name + suffix
        for family in families
        if family.name.startswith("checkout_")
        for suffix in SUFFIXES[family.type]
    }


def test_the_rules_file_is_a_prometheus_rules_file():
    document = yaml.safe_load(RULES.read_text())
    assert [group["name"] for group in document["groups"]] == ["cactus-checkout"]
    names = [rule["alert"] for rule in rules()]
    assert len(names) == len(set(names)) >= 8
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_rule_says_what_it_means_and_what_to_do_first(rule):
    annotations = rule["annotations"]
    assert len(annotations["meaning"]) > 40
    assert len(annotations["first_response"]) > 40


@pytest.mark.parametrize("rule", rules(), ids=lambda rule: rule["alert"])
def test_each_rule_names_only_metrics_the_app_exports(app, rule):
    names = metric_names(rule["expr"])
    assert names, rule["expr"]
    assert names <= exported(app), names - exported(app)


def test_the_name_check_sees_a_metric_we_do_not_export(app):
    wrong = 'sum(rate(checkout_callbacks_totl{outcome="error"}[5m])) > 0'
    assert metric_names(wrong) == {"checkout_callbacks_totl"}
    assert not metric_names(wrong) <= exported(app)
