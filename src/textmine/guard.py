"""Protect the passage browser from the other web pages a researcher has open.

A browser will send requests to ``http://127.0.0.1:8765`` on behalf of any page,
so the server checks every request before a route sees it:

- the ``Host`` header must name this server: its address and port; when it
  listens on loopback or on all addresses, the loopback aliases (127.0.0.1,
  localhost, [::1]) with the port; when it listens on all addresses, any IP
  address with the port; or a name given with ``--allow-host`` (any port). A
  page on another name that resolves to this machine (DNS rebinding) gets 421;
- a request that changes something (POST, PUT, PATCH, DELETE) must come from
  this server's own pages: its ``Origin`` (or, without one, its ``Referer``) must
  be the origin the request was sent to, and ``Sec-Fetch-Site`` must not say
  another site. Requests with neither header (scripts, curl) are not from a web
  page and pass on to the token and form checks;
- the HTML forms carry a token tied to the session cookie by a secret that
  never leaves the server process (``form_token``).

``check_request`` is a pure function of the request's method and headers; the
web app runs it as middleware.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import BadInput

DEFAULT_PORT = 8765
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SCHEME_PORTS = {"http": 80, "https": 443}
HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name to listen on) is this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host in ("localhost", ""):
        return True
    ip = _ip(host)
    return ip is not None and ip.is_loopback


@dataclass(frozen=True)
class Site:
    """Where the browser listens and which names it answers to. Validated on creation.

    ``allow_hosts`` are extra names (a DNS name or reverse proxy in front of the
    server) accepted in the Host header on any port.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    allow_hosts: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not isinstance(self.port, int) or not 1 <= self.port <= 65535:
            raise BadInput(f"port must be a number from 1 to 65535, not {self.port!r}")
        names = tuple(name.strip().lower().rstrip(".") for name in self.allow_hosts)
        for given, name in zip(self.allow_hosts, names):
            if not (HOSTNAME.match(name) or _ip(name.strip("[]"))):
                raise BadInput(f"--allow-host {given!r} is not a host name or address (give a name such as textmine.example.org, no port)")
        object.__setattr__(self, "allow_hosts", tuple(n.strip("[]") for n in names))

    @property
    def wildcard(self) -> bool:
        """Listening on every address (0.0.0.0 or ::)."""
        ip = _ip(self.host)
        return ip is not None and ip.is_unspecified


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused, with the HTTP status to answer."""

    status: int
    reason: str


def split_host(value: str) -> tuple[str, int | None]:
    """A Host header (or URL netloc) as (lower-case host, port or None); ValueError when malformed.

    >>> split_host("[::1]:8765"), split_host("LocalHost:80"), split_host("example.org")
    (('::1', 8765), ('localhost', 80), ('example.org', None))
    """
    value = value.strip().lower()
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or _ip(host) is None or (rest and not rest.startswith(":")):
            raise ValueError(value)
        port = rest[1:] if rest else None
    else:
        host, colon, port = value.partition(":")
        port = port if colon else None
    if not host or (port is not None and not (port.isascii() and port.isdigit() and 0 < int(port) <= 65535)):
        raise ValueError(value)
    return host, int(port) if port is not None else None


def host_allowed(site: Site, host: str, port: int | None) -> bool:
    """Whether a request for ``host:port`` is meant for this server (see the module docstring)."""
    if host in site.allow_hosts:
        return True
    if (port or 80) != site.port:
        return False
    if host == site.host.lower().strip("[]"):
        return True
    if (is_loopback(site.host) or site.wildcard) and host in LOOPBACK_NAMES:
        return True
    return site.wildcard and _ip(host) is not None


def same_origin(url: str, host: str, port: int | None) -> bool:
    """Whether ``url`` (an Origin or Referer) has the host and port the request was sent to.

    >>> same_origin("http://127.0.0.1:8765", "127.0.0.1", 8765), same_origin("http://127.0.0.1:9999", "127.0.0.1", 8765)
    (True, False)
    >>> same_origin("https://textmine.example.org/passage/p1", "textmine.example.org", None)
    True
    """
    try:
        parts = urlsplit(url)
        other_host, other_port = split_host(parts.netloc.rpartition("@")[2])
    except ValueError:
        return False
    default = SCHEME_PORTS.get(parts.scheme)
    if default is None:
        return False
    return other_host == host and (other_port or default) == (port or default)


def check_request(site: Site, method: str, headers: dict[str, str]) -> Refusal | None:
    """Why this request must be refused, or None when it may go on to the routes.

    ``headers`` are the request's headers with lower-case names.

    >>> site = Site("127.0.0.1", 8765)
    >>> check_request(site, "GET", {"host": "127.0.0.1:8765"}) is None
    True
    >>> check_request(site, "GET", {"host": "evil.example:8765"}).status
    421
    >>> check_request(site, "POST", {"host": "localhost:8765", "origin": "http://evil.example"}).status
    403
    """
    raw = headers.get("host", "")
    try:
        host, port = split_host(raw)
    except ValueError:
        return Refusal(400, "the request has no valid Host header")
    if not host_allowed(site, host, port):
        return Refusal(421, f"this server does not answer to the name {raw[:100]!r}: open it at "
                            f"http://{site.host}:{site.port}/ (or start it with --allow-host NAME)")
    if method.upper() not in WRITES:
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return Refusal(403, "changes are accepted only from this server's own pages, not from another site")
    source = headers.get("origin") or headers.get("referer")
    if source is not None and not same_origin(source, host, port):
        return Refusal(403, "changes are accepted only from this server's own pages, not from another site")
    return None


def new_session() -> str:
    """A fresh random session id for the session cookie."""
    return secrets.token_urlsafe(24)


def form_token(secret: bytes, session: str) -> str:
    """The CSRF token the forms of ``session`` carry: an HMAC of the session id under the server's secret."""
    return hmac.new(secret, session.encode("utf-8"), hashlib.sha256).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time, whatever characters ``given`` holds.

    >>> same_secret("s3cret-1", "s3cret-1"), same_secret("sécret-1", "s3cret-1")
    (True, False)
    """
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
