"""gunicorn's own log lines (access and errors) as JSON, like the application's (shop.logs).

Used with `--logger-class shop.gunicorn_logging.JsonLogger`: an access line carries the
request id the application sent back in X-Request-ID, so it joins the request's lines.
"""
from __future__ import annotations

from gunicorn import glogging

from shop.logs import HEADER, JsonFormatter


class JsonLogger(glogging.Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for handler in [*self.access_log.handlers, *self.error_log.handlers]:
            handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        headers = {name.lower(): value for name, value in (resp.headers or [])}
        self.access_log.info("%s %s %s", req.method, req.path, resp.status_code, extra={
            "request_id": headers.get(HEADER.lower(), ""), "method": req.method, "path": req.path,
            "query": req.query, "status": resp.status_code, "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote": environ.get("REMOTE_ADDR", "")})
