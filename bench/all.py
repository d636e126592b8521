"""Re-take every figure of issue #17 with one command, then print a summary of the targets.

Usage: `BENCH_DATABASE_URL=postgresql+psycopg://… .venv/bin/python -m bench.all
[--duration 2] [--rounds 3]` (TEST_DATABASE_URL also works; its tables are dropped and
rebuilt). About 15 minutes on 2 cores; needs `wrk`.

Runs in turn, each in its own process exactly as when run alone, printing as it goes:

1. `bench.cpu`: CPU per request in-process, checkout × lean, both engines;
2. `bench.run`: the table (hello-world, lean, checkout; × hello and × lean), both
   engines, 2 sync workers (the yardstick's own settings);
3. `bench.run --settings production`: the same table under gunicorn.conf.py's defaults;
4. `bench.run --settings sync`: the callbacks under 2 × cores + 1 sync workers, to set
   beside steps 2 and 3 (sync against gthread, for callbacks that wait on fsync);
5. `bench.webhooks`: one worker against the bare loop, both engines;
6. `bench.capacity`: two instances and two webhook workers on one PostgreSQL, mixed load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import TARGETS

WEBHOOK_TARGET = 0.7


def step(title: str, module: str, *options: str) -> float:
    """Run one benchmark module in its own process; return its duration in seconds."""
    print(f"\n=== {title}: python -m {module} {' '.join(options)}", flush=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", module, *options], check=True)
    return time.monotonic() - started


def verdict(value: float, target: float) -> str:
    return "ok" if value >= target else "BELOW"


def summarise(scratch: Path, capacity_ok: bool) -> None:
    """Print every target beside its figures: served (× lean) and in-process (CPU)."""
    cpu = json.loads((scratch / "cpu.json").read_text())
    served = [
        row
        for name in ("run.json", "production.json", "sync.json")
        for row in json.loads((scratch / name).read_text())
    ]
    print(
        "\n=== Summary: × lean reference, median of rounds (low–high); the verdict is taken"
        " under the settings that ship (gunicorn.conf.py's), beside the in-process CPU ratio"
    )
    for engine in ("sqlite", "postgresql"):
        print(f"  {engine}")
        for endpoint, target in TARGETS.items():
            cells, shipped = [], None
            for row in served:
                if (row["engine"], row["endpoint"]) != (engine, endpoint):
                    continue
                if row["checkout_x_lean"]:
                    median, low, high = row["checkout_x_lean"]
                    cells.append(f"{row['serving']} {median:.2f} ({low:.2f}–{high:.2f})")
                    if row["serving"] == "production":
                        shipped = median
            figures = cpu[engine][endpoint]
            in_process = figures["lean"]["cpu_us"] / figures["checkout"]["cpu_us"]
            result = verdict(shipped, target) if shipped is not None else "-"
            print(
                f"    {endpoint:<19} ≥{target}  {', '.join(cells) or '-'}; "
                f"CPU in-process {in_process:.2f}  → {result}"
            )
    print("  callbacks by worker setting (req/s of the checkout, × hello-world):")
    for row in served:
        if row["endpoint"].startswith("callback") and row["checkout"]:
            print(
                f"    {row['engine']:<10} {row['endpoint']:<19} {row['described']:<34} "
                f"{row['checkout']['rps']:>6.0f} req/s  p99 {row['checkout']['p99_ms']:>6.0f} ms"
                f"  × hello {row['checkout_x_hello'][0]:.2f}"
            )
    print(f"  webhook worker × bare loop (≥{WEBHOOK_TARGET}):")
    for engine in ("sqlite", "postgresql"):
        figures = json.loads((scratch / f"webhooks-{engine}.json").read_text())
        median, low, high = figures["x_bare"]
        print(
            f"    {engine:<10} {median:.2f} ({low:.2f}–{high:.2f}), in CPU per event "
            f"{figures['x_bare_cpu'][0]:.2f}  → {verdict(median, WEBHOOK_TARGET)}"
        )
    print(
        f"  capacity run (two instances, webhook workers, one PostgreSQL): "
        f"{'zero errors' if capacity_ok else 'FAILED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="hello/lean/checkout rounds")
    args = parser.parse_args()
    if not (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")):
        raise SystemExit("bench.all needs PostgreSQL: set BENCH_DATABASE_URL")
    wrk = ["--duration", str(args.duration), "--rounds", str(args.rounds)]
    durations = {}
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)

        def to(name: str) -> list[str]:
            return ["--json", str(scratch / f"{name}.json")]

        durations["cpu"] = step(
            "1. CPU in-process", "bench.cpu", *"--requests 300 --rounds 3".split(), *to("cpu")
        )
        durations["run"] = step("2. the table, 2 sync workers", "bench.run", *wrk, *to("run"))
        durations["production"] = step(
            "3. the table, gunicorn.conf.py's defaults",
            "bench.run",
            *wrk,
            *"--settings production".split(),
            *to("production"),
        )
        durations["sync"] = step(
            "4. callbacks, 2 × cores + 1 sync workers",
            "bench.run",
            *wrk,
            *"--settings sync --endpoints callback_duplicate callback_fresh".split(),
            *to("sync"),
        )
        for engine in ("sqlite", "postgresql"):
            durations[f"webhooks {engine}"] = step(
                f"5. webhooks, {engine}",
                "bench.webhooks",
                *f"--engine {engine} --events 500 --rounds 3".split(),
                *to(f"webhooks-{engine}"),
            )
        started = time.monotonic()
        print("\n=== 6. capacity: python -m bench.capacity --duration 20", flush=True)
        capacity = subprocess.run([sys.executable, "-m", "bench.capacity", "--duration", "20"])
        durations["capacity"] = time.monotonic() - started
        summarise(scratch, capacity.returncode == 0)
    print(
        "  durations: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in durations.items())
        + f"; in all {sum(durations.values()) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
