"""moto's standalone server on loopback: boto3 reaches it over HTTP, as it would reach AWS."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from caching.tests.redis_process import free_port

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


class MotoServer:
    def __init__(self, port: int):
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, url: str | None = None) -> dict[str, str]:
        """What a process needs to reach this server through boto3's standard variables."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL": url or self.url}

    def start(self) -> None:
        self.process = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("moto_server exited") from None
                time.sleep(0.1)
        raise RuntimeError("moto_server did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=5).read()

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.url, region_name=CREDENTIALS["AWS_REGION"],
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def create_distribution(self) -> str:
        reply = self.client("cloudfront").create_distribution(DistributionConfig={
            "CallerReference": f"shop-tests-{time.time_ns()}",
            "Origins": {"Quantity": 1, "Items": [{
                "Id": "api", "DomainName": "api.example.com",
                "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "api", "ViewerProtocolPolicy": "redirect-to-https",
                                     "MinTTL": 0, "ForwardedValues": {"QueryString": True,
                                                                      "Cookies": {"Forward": "none"}}},
            "Comment": "shop tests", "Enabled": True})
        return reply["Distribution"]["Id"]


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch):
    """This test's boto3 calls go to moto's server (emptied first)."""
    moto_server.reset()
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    return moto_server


class ThrottlingProxy:
    """An HTTP proxy in front of moto that answers the first `throttle` requests matching
    `method` and a path fragment as AWS answers a throttled call (CloudFront: 400
    Throttling), and forwards everything else: a fault moto cannot be asked to produce."""

    STATUS, CONTENT_TYPE, HEADERS = 400, "text/xml", {}
    BODY = (b'<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">'
            b"<Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
            b"<RequestId>throttled</RequestId></ErrorResponse>")

    def own_reply(self, method: str, path: str, headers) -> tuple[int, bytes] | None:
        """A reply of the proxy's own to a request it does not forward; None: forward it."""
        return None

    def __init__(self, target_port: int, *, throttle: int, method: str = "POST", fragment: str = "/invalidation"):
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        proxy = self
        self.remaining, self.throttled, self.forwarded = throttle, 0, 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy._lock:
                    throttle_this = (self.command == method and fragment in self.path and proxy.remaining > 0)
                    if throttle_this:
                        proxy.remaining -= 1
                        proxy.throttled += 1
                    else:
                        proxy.forwarded += 1
                if throttle_this:
                    self.send_response(proxy.STATUS)
                    for name, value in proxy.HEADERS.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", proxy.CONTENT_TYPE)
                    self.send_header("Content-Length", str(len(proxy.BODY)))
                    self.end_headers()
                    self.wfile.write(proxy.BODY)
                    return
                own = proxy.own_reply(self.command, self.path, self.headers)
                if own is not None:
                    self.send_response(own[0])
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(own[1])))
                    self.end_headers()
                    self.wfile.write(own[1])
                    return
                upstream = http.client.HTTPConnection("127.0.0.1", target_port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for name, value in reply.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class StageCacheProxy(ThrottlingProxy):
    """moto's server with API Gateway's FlushStageCache, which moto does not implement: a
    DELETE of a stage's `/cache/data` is answered here (202, recorded in `flushes`) when moto
    has that stage, 404 otherwise; the first `throttle` ones get API Gateway's 429."""

    STATUS, CONTENT_TYPE = 429, "application/json"
    HEADERS = {"x-amzn-ErrorType": "TooManyRequestsException"}
    BODY = b'{"message": "Too Many Requests"}'
    FLUSH = re.compile(r"^/restapis/([^/]+)/stages/([^/]+)/cache/data/?$")

    def __init__(self, target_port: int, *, throttle: int = 0):
        self.target_port = target_port
        self.flushes: list[tuple[str, str]] = []
        super().__init__(target_port, throttle=throttle, method="DELETE", fragment="/cache/data")

    def own_reply(self, method: str, path: str, headers) -> tuple[int, bytes] | None:
        import http.client

        flush = self.FLUSH.match(path)
        if method != "DELETE" or not flush:
            return None
        stage = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=10)
        stage.request("GET", f"/restapis/{flush[1]}/stages/{flush[2]}", headers={
            "Authorization": headers.get("Authorization", "")})
        found = stage.getresponse()
        found.read()
        stage.close()
        if found.status != 200:
            return 404, b'{"message": "Invalid stage identifier specified"}'
        self.flushes.append((flush[1], flush[2]))
        return 202, b""
