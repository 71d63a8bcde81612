"""Who is on the other end of a request when reverse proxies stand in between.

A mini-program backend always sits behind a proxy (TLS termination, a load balancer), so the
connection's peer is the proxy, and every worker in the region would share one address. Only
peers listed in `TRUSTED_PROXIES` may say who the client is (`X-Forwarded-For`, `X-Real-IP`);
anyone else could write those headers to dodge a per-address limit.

`client_address(request, trusted)` gives the address; `trusted_proxy_middleware(trusted)`
puts it in `request.remote` for every handler (the composition root adds it first).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from aiohttp import web
from aiohttp.typedefs import Middleware

from .http import Handler

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def trusted_networks(value: str | None) -> tuple[Network, ...]:
    """`"10.0.0.0/8, 127.0.0.1"` → the networks; ValueError (in Chinese) naming a bad entry."""
    networks: list[Network] = []
    for part in (value or "").replace(";", ",").split(","):
        if not (part := part.strip()):
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES 里的“{part}”不是有效的 IP 地址或网段（如 10.0.0.0/8）"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:5000
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _peer(request: web.Request) -> str | None:
    """The connection's own peer, whatever an earlier middleware made of `request.remote`."""
    transport = request.transport
    peername = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peername, tuple | list) and peername:
        return str(peername[0])
    return request.remote


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The client's address: the peer itself, unless the peer is a trusted proxy; then the
    rightmost `X-Forwarded-For` hop that is not a trusted proxy (hops to its left were written
    by the client and prove nothing), or `X-Real-IP` when there is no `X-Forwarded-For`."""
    peer = _peer(request) or "-"
    if not trusted or not _trusted(_address(peer), trusted):
        return peer
    hops = [h for value in request.headers.getall("X-Forwarded-For", []) for h in value.split(",")]
    found = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return found  # a proxy we trust would not write this: stop at the last good hop
        found = str(address)
        if not _trusted(address, trusted):
            return found
    if hops:
        return found  # every hop is one of our proxies: the leftmost is as far as we can see
    real = _address(request.headers.get("X-Real-IP", ""))
    return str(real) if real is not None else peer


def _trusted(address: Address | None, trusted: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in trusted)


def trusted_proxy_middleware(trusted: str | Sequence[Network] | None) -> Middleware:
    """A middleware setting `request.remote` to `client_address` (a no-op without trusted
    proxies), so logs and limits everywhere see the client, not the proxy. `trusted` may be
    the TRUSTED_PROXIES setting as written."""
    if trusted is None or isinstance(trusted, str):
        trusted = trusted_networks(trusted)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if trusted:
            client = client_address(request, trusted)
            if client != request.remote:
                request = request.clone(remote=client)
        return await handler(request)

    return forwarded
