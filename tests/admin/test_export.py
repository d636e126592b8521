"""CSV export: exact amounts, the list's filters, and no formulas for spreadsheets."""

from __future__ import annotations

import csv
import io

import pytest

from checkout.admin.export import COLUMNS
from tests.support.orders import make_order


def export_rows(client, **query: str) -> list[dict[str, str]]:
    response = client.get("/admin/orders.csv", query_string=query)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.text)))


def test_export_is_a_csv_download(admin):
    response = admin.get("/admin/orders.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="orders-')
    assert next(csv.reader(io.StringIO(response.text))) == list(COLUMNS)


@pytest.mark.parametrize(
    ("minor", "currency", "major"),
    [
        (9000, "KZT", "90.00"),
        (1, "USD", "0.01"),
        (5000, "IDR", "50.00"),
        (5000, "JPY", "5000"),
        (123456789012345, "KZT", "1234567890123.45"),
        (9007199254740993, "EUR", "90071992547409.93"),
    ],
)
def test_amounts_are_exact_in_major_and_minor_units(app, admin, minor, currency, major):
    with app.app_context():
        make_order(amount=minor, currency=currency)
    [row] = export_rows(admin)
    assert (row["amount"], row["amount_minor"], row["currency"]) == (major, str(minor), currency)


@pytest.mark.parametrize(
    ("login", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("alice=1", "alice=1"),
    ],
)
def test_logins_cannot_become_spreadsheet_formulas(app, admin, login, cell):
    with app.app_context():
        make_order(site_login=login)
    [row] = export_rows(admin)
    assert row["site_login"] == cell


def test_export_follows_the_filters(app, admin):
    with app.app_context():
        make_order("paid", site_login="payer")
        make_order("failed", site_login="decliner")
    assert [row["site_login"] for row in export_rows(admin, status="paid")] == ["payer"]


def test_export_keeps_the_review_reason(app, admin):
    with app.app_context():
        make_order(review_reason="callback 3 reported 100 KZT, order is 9000 KZT")
    [row] = export_rows(admin)
    assert row["review_reason"] == "callback 3 reported 100 KZT, order is 9000 KZT"
