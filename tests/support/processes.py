"""Ending the processes a test starts: politely first, by force if they do not listen."""

from __future__ import annotations

import signal
import subprocess


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Send SIGTERM (a graceful stop) and wait; kill the process if it outlives `timeout`."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
