"""An HTTP server on loopback that serves images honestly or as an attacker
would, by the first segment of the path:

- ``/ok/NAME``: the file NAME of its folder;
- ``/endless/x.png``: a PNG signature, then zeros without end;
- ``/stall/x.png``: headers and a few bytes, then silence;
- ``/trickle/x.png``: a byte every half second, forever;
- ``/gzip/x.png``: 1 MB of gzip that inflates to 1 GiB, as Content-Encoding;
- ``/elsewhere/x.png``: a redirect to another port;
- ``/file/x.png``: a redirect to ``file:///etc/passwd``;
- ``/same/NAME``: a redirect to ``/ok/NAME``;
- anything else: 404.

A HEAD request is never answered (a server that hangs a study which asks
before it fetches). Every request is recorded in ``requests``.
"""

import gzip
import http.server
import threading
import time
import urllib.parse
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def gzip_bomb():
    """About 1 MB of gzip that inflates to 1 GiB of zeros."""
    block = bytes(1 << 20)
    stream = gzip.compress(block, compresslevel=9)
    # Members concatenate: 1024 of them inflate to 1 GiB.
    return stream * 1024


class HostileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder):
        super().__init__(("127.0.0.1", 0), Handler)
        self.folder = Path(folder)
        self.requests = []
        self.stopping = threading.Event()
        self.bomb = gzip_bomb()

    def handle_error(self, request, client_address):
        pass  # a client that hangs up on an attack is the point

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_port}"

    def __enter__(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.server.requests.append(("HEAD", self.path))
        self.server.stopping.wait()

    def do_GET(self):
        self.server.requests.append(("GET", self.path))
        mode, _, name = self.path.lstrip("/").partition("/")
        getattr(self, f"_{mode}", self._missing)(name)

    def _headers(self, status=200, **headers):
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def _ok(self, name):
        path = self.server.folder / urllib.parse.unquote(name)
        if not path.is_file():
            return self._missing(name)
        body = path.read_bytes()
        self._headers(Content_Length=str(len(body)), Content_Type="image/png")
        self.wfile.write(body)

    def _endless(self, name):
        self._headers(Content_Type="image/png", Connection="close")
        self.wfile.write(PNG_SIGNATURE)
        zeros = bytes(1 << 16)
        while not self.server.stopping.is_set():
            self.wfile.write(zeros)

    def _stall(self, name):
        self._headers(Content_Length="100000", Content_Type="image/png")
        self.wfile.write(PNG_SIGNATURE)
        self.wfile.flush()
        self.server.stopping.wait()

    def _trickle(self, name):
        self._headers(Content_Type="image/png", Connection="close")
        while not self.server.stopping.is_set():
            self.wfile.write(b"\0")
            self.wfile.flush()
            time.sleep(0.5)

    def _gzip(self, name):
        body = self.server.bomb
        self._headers(
            Content_Length=str(len(body)),
            Content_Encoding="gzip",
            Content_Type="image/png",
        )
        self.wfile.write(body)

    def _elsewhere(self, name):
        port = self.server.server_port + 1
        self._headers(302, Location=f"http://127.0.0.1:{port}/ok/{name}",
                      Content_Length="0")  # fmt: skip

    def _file(self, name):
        self._headers(302, Location="file:///etc/passwd", Content_Length="0")

    def _same(self, name):
        self._headers(302, Location=f"/ok/{name}", Content_Length="0")

    def _missing(self, name):
        self._headers(404, Content_Length="0")
