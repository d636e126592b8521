"""One log line, one record: the handler renders our lines from their fields and leaves the
record as every other handler sees it."""

from __future__ import annotations

import json
import logging

import structlog

from checkout import logs


class Keep(logging.Handler):
    """Keeps the records it is given, as pytest's capture does."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_line_is_masked_and_rendered_without_altering_its_record(tmp_path):
    handler = logs.configure("json", ["hunter22"])
    out = (tmp_path / "log").open("w")
    handler.setStream(out)
    kept = Keep()
    logger = logging.getLogger("checkout.test_lines")
    logger.addHandler(handler)
    logger.addHandler(kept)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        structlog.get_logger("checkout.test_lines").info(
            "probe", secret="hunter22", body={"signature": "short"}, count=3
        )
    finally:
        logger.removeHandler(handler)
        logger.removeHandler(kept)
        logger.propagate = True
        out.close()
    [line] = (tmp_path / "log").read_text().splitlines()
    fields = json.loads(line)
    assert (fields["event"], fields["level"], fields["logger"]) == (
        "probe",
        "info",
        "checkout.test_lines",
    )
    assert (fields["secret"], fields["body"], fields["count"]) == ("***", {"signature": "***"}, 3)
    [record] = kept.records
    assert record.msg["secret"] == "hunter22"  # the fields as logged, for other handlers
    assert record.msg["body"] == {"signature": "short"}


def test_a_library_line_takes_the_whole_chain():
    handler = logs.configure("json", ["hunter22"])
    record = logging.LogRecord(
        "urllib3", logging.WARNING, __file__, 1, "pw %s", ("hunter22",), None
    )
    fields = json.loads(handler.format(record))
    assert (fields["event"], fields["level"], fields["logger"]) == ("pw ***", "warning", "urllib3")
    assert fields["timestamp"].endswith("Z")
