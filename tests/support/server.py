"""Starting a real `candor serve` process for end-to-end tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.threaded_server import free_port

_KEY_LINE = re.compile(r"^\s+(chat|agent|auditor|admin)\s+(cnd_\S+)$")


@dataclass
class RunningServer:
    base_url: str
    keys: dict[str, str]
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def candor_server(database_url: str, workdir: Path, **env: str) -> Iterator[RunningServer]:
    port = free_port()
    log_path = workdir / "candor-serve.log"
    environment = {
        **os.environ,
        "CANDOR_DATABASE_URL": database_url,
        "CANDOR_PORT": str(port),
        "CANDOR_HOST": "127.0.0.1",
        "CANDOR_ENV": "development",
        **env,
    }
    for inherited in ("CANDOR_BACKEND_URL", "CANDOR_BACKEND_KIND", "CANDOR_POLICY_FILE"):
        if inherited not in env:
            environment.pop(inherited, None)  # the demo bot and shipped policy unless asked
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--migrate"],
            cwd=workdir,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log_path)
        keys = {}
        for line in log_path.read_text().splitlines():
            match = _KEY_LINE.match(line)
            if match:
                keys[match.group(1)] = match.group(2)
        yield RunningServer(base_url=base_url, keys=keys, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen[str], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"candor serve exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("candor serve did not become ready in 60 s")
