"""Reading `/metrics` the way Prometheus does: its own text-format parser, no regexes."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-token-" + "m" * 32


def parse(exposition: str) -> dict[tuple[str, frozenset], float]:
    """Return every sample of an exposition, keyed by name and label set."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    """Return one sample's value (0 when it was never recorded, as Prometheus reads it)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client, token: str = TOKEN) -> dict[tuple[str, frozenset], float]:
    """Scrape the app's /metrics with the token, through the Flask test client."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return parse(response.get_data(as_text=True))
