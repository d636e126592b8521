"""After the database drops every connection, each worker fails at most one request."""

from __future__ import annotations

from tests.support.apps import migrate_to_head
from tests.support.databases import drop_other_connections


def test_the_pool_recovers_after_connections_are_dropped(pg_app):
    app, url = pg_app
    migrate_to_head(app)
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    assert drop_other_connections(url) >= 1
    first = client.get("/readyz")
    assert first.status_code in {200, 503}  # at most this one request sees the dead link
    assert first.is_json
    assert [client.get("/readyz").status_code for _ in range(3)] == [200, 200, 200]
