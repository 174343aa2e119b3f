"""Outside fetches that cannot reach a private address, checked when each connection is made.

A URL checked once when a job is created proves little: the site may redirect to a loopback address, a retry may
fetch again later, and the name may resolve elsewhere by then (DNS rebinding). So the downloader (yt-dlp) makes every
request through `EgressProxy`, a local forward proxy that resolves the host of each connection (the first, every
redirect, every retry), refuses it when any address is not allowed, and connects to the very address it checked.
Live streams are opened on the address checked at that moment (`pinned_url`).
"""

from __future__ import annotations

import ipaddress
import select
import socket
import socketserver
import threading
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]
_HEAD_LIMIT = 64 * 1024
_IDLE_TIMEOUT_S = 60.0


class UnsafeUrl(ValueError):
    """A URL that is not allowed; the message says why."""


def public_only(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Addresses of the public internet: not private, loopback, link-local, reserved or multicast."""
    return ip.is_global and not ip.is_multicast


def any_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """On-premises installs that fetch from cameras and servers on their own network."""
    return True


def address_policy(allow_private: bool) -> AddressPolicy:
    return any_address if allow_private else public_only


def checked_addresses(host: str, port: int, allowed: AddressPolicy) -> list[str]:
    """The host's addresses, resolved now; refused when any one of them is not allowed."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"The host {host} does not resolve.") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not allowed(ip):
            raise UnsafeUrl(f"{host} points to a private or reserved address ({ip}); it is not accepted.")
    return addresses


def check_url(url: str, *, schemes: tuple[str, ...], allowed_hosts: list[str] | None, allow_private: bool) -> None:
    """Refuse a URL whose scheme is not in `schemes`, whose host is not on `allowed_hosts` (a listed domain
    covers its subdomains; None: any host), or that resolves to a private, loopback, link-local or otherwise
    non-public address (unless `allow_private`, for on-premises installs)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl("The URL's port is not a valid port number.") from error
    if parts.scheme not in schemes:
        raise UnsafeUrl(f"Only {', '.join(s + '://' for s in schemes)} URLs are accepted.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeUrl("The URL has no host.")
    if allowed_hosts is not None and not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        raise UnsafeUrl(f"Videos from {host} are not accepted; allowed hosts: {', '.join(allowed_hosts) or 'none'}.")
    if not allow_private:
        checked_addresses(host, port or 443, public_only)


def pinned_url(url: str, allowed: AddressPolicy) -> str:
    """The URL with its host replaced by the address checked now, so that the connection made with it goes where
    the check looked (for protocols that cannot go through the proxy, such as RTSP)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    address = checked_addresses(host, parts.port or 554, allowed)[0]
    literal = f"[{address}]" if ":" in address else address
    credentials = parts.netloc.rpartition("@")[0]
    netloc = (credentials + "@" if credentials else "") + literal + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class _ProxyHandler(socketserver.BaseRequestHandler):
    """One client connection: `CONNECT host:port` (HTTPS, tunnelled as is) or a plain HTTP request in absolute
    form, forwarded to the origin on the checked address with `Connection: close`."""

    server: _ProxyServer

    def handle(self) -> None:
        client = self.request
        client.settimeout(_IDLE_TIMEOUT_S)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk or len(head) > _HEAD_LIMIT:
                return
            head += chunk
        head, _, rest = head.partition(b"\r\n\r\n")
        request_line, *headers = head.decode("latin-1").split("\r\n")
        method, target, version = [*request_line.split(" "), "", ""][:3]
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            host, port, first = host.strip("[]"), int(port or 443), b""
        else:
            parts = urlsplit(target)
            if parts.scheme != "http" or not parts.hostname:
                return self._refuse(400, "Bad Request", "only absolute http:// requests and CONNECT are proxied")
            host, port = parts.hostname, parts.port or 80
            path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
            kept = [h for h in headers if not h.lower().startswith(("proxy-", "connection:", "keep-alive:"))]
            first = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""]).encode("latin-1")
            first += rest
        try:
            address = checked_addresses(host, port, self.server.allowed)[0]
            upstream = socket.create_connection((address, port), timeout=_IDLE_TIMEOUT_S)
        except UnsafeUrl as error:
            return self._refuse(403, "Forbidden", str(error))
        except OSError as error:
            return self._refuse(502, "Bad Gateway", f"{host} could not be reached ({error.strerror or error})")
        with upstream:
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                first = rest
            if first:
                upstream.sendall(first)
            _relay(client, upstream)

    def _refuse(self, status: int, reason: str, why: str) -> None:
        body = why.encode()
        self.request.sendall(
            f"HTTP/1.1 {status} {reason}: {why}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n".encode()
            + body
        )


def _relay(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes or nothing moves for the idle timeout."""
    peers = {a: b, b: a}
    while True:
        ready, _, _ = select.select(list(peers), [], [], _IDLE_TIMEOUT_S)
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            peers[sock].sendall(data)


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, allowed: AddressPolicy):
        self.allowed = allowed
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class EgressProxy:
    """`with EgressProxy(public_only) as proxy:` gives `proxy.url` (http://127.0.0.1:port) for the downloader's
    proxy setting while the block runs."""

    def __init__(self, allowed: AddressPolicy):
        self._server = _ProxyServer(allowed)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EgressProxy:
        threading.Thread(target=self._server.serve_forever, name="egress-proxy", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
