"""A real nginx in front of test servers, run as a child process on free ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@dataclass(frozen=True)
class Site:
    """One ``server`` block: nginx listens on ``port`` and passes everything to ``upstream``.

    Several upstream ports make a round-robin balancer over them.
    """

    port: int
    upstream: int | tuple[int, ...]
    directives: str = ""

    @property
    def upstream_url(self) -> str:
        if isinstance(self.upstream, tuple):
            return f"http://site_{self.port}"
        return f"http://127.0.0.1:{self.upstream}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class Nginx:
    """nginx with ``sites``; ``http`` is put in the ``http`` block as it is (a ``log_format``)."""

    def __init__(self, prefix: Path, sites: list[Site], http: str = "") -> None:
        self.prefix = prefix
        self.sites = sites
        self.http = http
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        assert NGINX is not None
        (self.prefix / "logs").mkdir(parents=True, exist_ok=True)
        (self.prefix / "temp").mkdir(exist_ok=True)
        config = self.prefix / "nginx.conf"
        config.write_text(self._config())
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.prefix), "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.prefix / "logs" / "stderr.log").open("wb"),
        )
        for site in self.sites:
            self._wait_listening(site.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def error_log(self) -> str:
        path = self.prefix / "logs" / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _config(self) -> str:
        temp = self.prefix / "temp"
        pools = "\n".join(
            f"    upstream site_{site.port} {{\n"
            + "".join(f"        server 127.0.0.1:{port};\n" for port in site.upstream)  # type: ignore[union-attr]
            + "    }"
            for site in self.sites
            if isinstance(site.upstream, tuple)
        )
        blocks = "\n".join(
            f"""
    server {{
        listen 127.0.0.1:{site.port};
        location / {{
            proxy_pass {site.upstream_url};
            {site.directives}
        }}
    }}"""
            for site in self.sites
        )
        return f"""
daemon off;
master_process on;
user root;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
{self.http}
{pools}
{blocks}
}}
"""

    def _wait_listening(self, port: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.prefix / "logs" / "stderr.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited:\n{log}\n{self.error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx is not listening on {port}")
