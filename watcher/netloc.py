"""Host names and addresses: which are this machine, which are private.

One home for the address rules the fetcher (no private targets without ``allow_private``), the
web server (no public bind without accounts) and the demo (its data comes from loopback) apply.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

__all__ = ["host_of", "is_loopback_host", "is_private_host", "literal_ip"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without a trailing dot ("" when there is none)."""
    return (urlsplit(url).hostname or "").rstrip(".").lower()


def literal_ip(host: str) -> IPAddress | None:
    """The address ``host`` spells, in any form the resolver accepts (127.1, 0x7f.0.0.1,
    2130706433, [::ffff:127.0.0.1]), or None for a name."""
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        try:
            ip = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_loopback_host(host: str) -> bool:
    """``localhost`` (and ``*.localhost``) or a loopback address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    ip = literal_ip(host)
    return ip is not None and ip.is_loopback


def is_private_host(host: str) -> bool:
    """A name or address that is not on the public internet: loopback, and every address
    ``ipaddress`` does not call global (RFC 1918, 100.64.0.0/10 shared space with its cloud
    metadata addresses, link-local, ULA, documentation and reserved ranges…), and multicast."""
    if is_loopback_host(host):
        return True
    ip = literal_ip(host)
    return ip is not None and (
        not ip.is_global or ip.is_multicast or ip.is_unspecified or ip.is_reserved
    )
