"""A lean asyncio HTTP/1.1 client for the load generator's pages and takes phases.

aiohttp costs about 0.5 ms of CPU per request in the client; at the request rates those phases
aim for, on a 2-core machine that shares the CPU with the server, that would be a large share of
what the server gets. This client does only what the bench needs, on one kept-alive connection:

- the request is written by hand (request line, headers, an urlencoded body for POSTs);
- the answer is read up to the blank line that ends the headers, then the body by Content-Length,
  as chunks (Transfer-Encoding: chunked), or up to the end of the connection when it has neither;
- a kept-alive connection the server closed before answering (keep-alive timeout, a gunicorn
  worker recycled by --max-requests) is opened again and the request sent once more, as a browser
  does; every other failure raises TransportError;
- "Connection: close" in an answer closes the connection after it.

No redirects are followed, no cookies are kept here (the caller keeps a jar per candidate: see
Identity in load.py), no compression, no TLS. Responses keep the body as bytes."""
from __future__ import annotations

import asyncio

MAX_HEAD = 64 * 1024  # the status line and headers of one answer
MAX_BODY = 16 * 1024 * 1024  # any answer of the platform is far smaller


class TransportError(Exception):
    """No HTTP answer (refused, reset, timed out, or an answer this client cannot read)."""


class Response:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str, default: str = "") -> str:
        """The first value of a header (`name` in lower case)."""
        return next((value for key, value in self.headers if key == name), default)

    def set_cookies(self) -> list[str]:
        return [value for key, value in self.headers if key == "set-cookie"]


def store_cookies(jar: dict[str, str], set_cookie_values) -> None:
    """Apply Set-Cookie header values to a name -> value jar, as a browser keeps them (the value as
    sent, quotes included); a cookie expired by Max-Age=0 or a 1970 Expires date is removed.

    A few string operations instead of http.cookies.SimpleCookie, whose regular expressions cost
    more CPU than the rest of a request's handling in this client."""
    for header in set_cookie_values:
        pair, _sep, attributes = header.partition(";")
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            continue
        expired = False
        lowered = attributes.lower()
        if "max-age=0" in lowered or "1970" in lowered:  # most answers renew cookies: no need to look closer
            for attribute in lowered.split(";"):
                key, _eq, setting = attribute.partition("=")
                key = key.strip()
                expired = expired or (key == "max-age" and setting.strip() == "0") or (
                    key == "expires" and "1970" in setting)
        if expired:
            jar.pop(name, None)
        else:
            jar[name] = value.strip()


class Connection:
    """One kept-alive connection to host:port; one request at a time."""

    def __init__(self, host: str, port: int, timeout: float):
        self.host, self.port, self.timeout = host, port, timeout
        self.host_header = f"Host: {host}:{port}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0  # kept-alive connections found closed by the server and opened again

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, target: str, headers: list[str], body: bytes = b"") -> Response:
        """`headers` are "Name: value" strings (no Host, no Content-Length: added here)."""
        head = [f"{method} {target} HTTP/1.1\r\n", self.host_header]
        head.extend(f"{line}\r\n" for line in headers)
        if body or method == "POST":
            head.append(f"Content-Length: {len(body)}\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1") + body
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, data)
        except TimeoutError:
            self.close()
            raise TransportError(f"no answer in {self.timeout:.0f} s") from None

    async def _exchange(self, method: str, data: bytes) -> Response:
        for attempt in (0, 1):
            reused = self.writer is not None
            if not reused:
                try:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=MAX_HEAD)
                except OSError as exc:
                    raise TransportError(f"connect: {type(exc).__name__}") from exc
            try:
                self.writer.write(data)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.close()
                nothing = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
                if reused and nothing and attempt == 0:  # closed while idle: once more, on a new connection
                    self.reconnects += 1
                    continue
                raise TransportError(f"{type(exc).__name__} before the answer") from exc
            except asyncio.LimitOverrunError as exc:
                self.close()
                raise TransportError("answer headers too long") from exc
            try:
                return await self._read_rest(method, head)
            except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                self.close()
                raise TransportError(f"{type(exc).__name__} in the answer: {exc}"[:120]) from exc
        raise AssertionError("unreachable")

    async def _read_rest(self, method: str, head: bytes) -> Response:
        lines = head[:-4].decode("latin-1").split("\r\n")
        version, status_text = lines[0].split(" ", 2)[:2]
        status = int(status_text)
        headers = []
        for line in lines[1:]:
            name, _sep, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        response = Response(status, headers, b"")
        connection = response.header("connection").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        encoding = response.header("transfer-encoding").lower()
        length = response.header("content-length")
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            pass
        elif encoding:
            if encoding != "chunked":
                raise ValueError(f"unsupported Transfer-Encoding: {encoding}")
            response.body = await self._read_chunked()
        elif length:
            if int(length) > MAX_BODY:
                raise ValueError(f"body of {length} bytes")
            response.body = await self.reader.readexactly(int(length))
        else:  # delimited by the end of the connection
            response.body = await self._read_to_end()
            close = True
        if close:
            self.close()
        return response

    async def _read_to_end(self) -> bytes:
        parts, total = [], 0
        while total <= MAX_BODY:
            part = await self.reader.read(64 * 1024)
            if not part:
                return b"".join(parts)
            parts.append(part)
            total += len(part)
        raise ValueError(f"body over {MAX_BODY} bytes")

    async def _read_chunked(self) -> bytes:
        parts, total = [], 0
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the blank line
                    pass
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                raise ValueError(f"chunked body over {MAX_BODY} bytes")
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)
