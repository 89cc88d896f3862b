"""A real gunicorn (several worker processes) serving the test database, for cross-process tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    db = connection.settings_dict
    return f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Gunicorn:
    def __init__(self, *, workers: int = 2, env: dict | None = None, args: tuple[str, ...] = ()):
        self.port = free_port()
        self.workers = workers
        self.args = args
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shop.settings_test",
            "DATABASE_URL": test_database_url(),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # The log goes to a file: a pipe nobody reads would fill up and block the workers.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "shop.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(self.workers), "--worker-class", "sync", "--no-control-socket",
             "--log-level", "warning", *self.args],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log_tail()) from None
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def log_tail(self, size: int = 3000) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-size:]

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)

    def get(self, path: str, headers: dict | None = None):
        request = urllib.request.Request(f"{self.url}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


class HttpSession:
    """A browser-like client of a live server: keeps cookies and sends the CSRF token back."""

    def __init__(self, base_url: str):
        import http.cookiejar

        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, headers, parsed JSON or None)."""
        import json

        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if method not in ("GET", "HEAD") and self.cookie("csrftoken"):
            all_headers["X-CSRFToken"] = self.cookie("csrftoken")
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers=all_headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                status, response_headers, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            status, response_headers, raw = error.code, dict(error.headers), error.read()
        return status, response_headers, json.loads(raw) if raw else None

    def start_session(self) -> None:
        """GET session/: sets the csrftoken cookie a browser front end would use."""
        self.request("GET", "/api/v1/session/")
