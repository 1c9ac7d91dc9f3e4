"""The client's network address, as far as it can be believed.

Behind reverse proxies the socket peer is the nearest proxy, and the client's address is in
``X-Forwarded-For``: each proxy *appends* the address it received the request from, so the
header reads ``client, proxy1, proxy2`` and the socket peer is the last proxy. Only the
entries added by our own proxies can be believed: everything to their left was written by
whoever sent the request, and a client can put anything there (``X-Forwarded-For: 1.2.3.4``
sent to the proxy arrives as ``1.2.3.4, <real client>``).

So the address is found by walking from the right: starting with the socket peer, while the
address at hand is one of the trusted proxy networks (``ECERT_TRUSTED_PROXIES``, addresses
or CIDRs), step one entry to the left. The first address that is not a trusted proxy is the
client. With no trusted proxy configured, or a peer that is not one, the header is ignored
and the socket peer is the client. An unreadable entry stops the walk at the last trusted
hop's view: the proxy that wrote it is the client as far as we can tell. If every entry is a
trusted proxy (a request made by the proxy host itself), the leftmost one is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the settings import this module: it stays free of Starlette
    from starlette.requests import Request

__all__ = ["IpNetwork", "client_ip", "forwarded_client", "parse_networks"]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> tuple[IpNetwork, ...]:
    """``10.0.0.0/8``, ``172.18.0.2``, ``::1`` → networks (a bare address is a /32 or /128).

    Raises ValueError naming the first entry that is neither an address nor a network.
    """
    networks = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not an IP address or CIDR network") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443" (RFC 7239 style)
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:5678": some proxies add the port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:192.0.2.1 is 192.0.2.1
    return mapped or address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: Sequence[IpNetwork]
) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def forwarded_client(peer: str, forwarded_for: str, trusted: Sequence[IpNetwork]) -> str:
    """The client address for a request from ``peer`` carrying ``forwarded_for``."""
    current = _address(peer)
    if current is None or not trusted:
        return peer
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()]
    while _trusted(current, trusted) and hops:
        previous = _address(hops.pop())
        if previous is None:
            break
        current = previous
    return str(current)


def client_ip(request: Request, trusted_proxies: Sequence[IpNetwork]) -> str:
    """The client's address: the rightmost ``X-Forwarded-For`` entry that is not one of
    ``trusted_proxies``, or the socket peer when it is not a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    if not trusted_proxies:
        return peer
    # Several X-Forwarded-For lines are one list, in order (RFC 9110 §5.3).
    header = ",".join(request.headers.getlist("x-forwarded-for"))
    return forwarded_client(peer, header, trusted_proxies)
