"""Where the worker may send a request that a URL typed into a form names (a unit's backend, a
supplier's catalog feed): not into the seller's own network. A URL is data typed into a form, and
the worker sits next to Temporal, the databases and the cloud's metadata service, so a URL that
points there would make the worker an open door (server-side request forgery).

- Never: link-local addresses (169.254.0.0/16 holds cloud metadata services, fe80::/10),
  multicast, unspecified (0.0.0.0), reserved. Refused when the URL is saved, if it names such an
  address literally, and again when it is used.
- Only with `allow_internal` (setting WEBHOOK_ALLOW_INTERNAL_TARGETS; `make run` and the tests,
  whose partners and suppliers run on this machine): loopback and private networks (10/8, 172.16/12,
  192.168/16, fc00::/7), and names that resolve there (checked when used: a name may change)."""

import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _never(ip: Address) -> bool:
    # ::1 counts as reserved too (it lies in ::/8): loopback is the internal network's
    reserved = ip.is_reserved and not ip.is_loopback
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified or reserved


def _internal(ip: Address) -> bool:
    return ip.is_loopback or ip.is_private


def _literal(host: str) -> Address | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def refusal_when_saved(url: str) -> str | None:
    """Why the URL can never be a target (None: it may be saved; where it leads is checked when used)."""
    host = urlsplit(url).hostname or ""
    ip = _literal(host)
    if ip is not None and _never(ip):
        return f"{host} is a link-local, multicast or reserved address: not a partner's server"
    return None


def refusal_when_used(url: str, allow_internal: bool) -> str | None:
    """Why the worker must not call the URL now (None: it may). Resolves the host name; a name that
    does not resolve is left to the HTTP call (a temporary DNS failure is retried)."""
    host = urlsplit(url).hostname or ""
    if not host:
        return "the URL has no host"
    literal = _literal(host)
    if literal is not None:
        addresses: list[Address] = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError:
            return None
        addresses = [a for a in (_literal(str(info[4][0])) for info in infos) if a is not None]
    for ip in addresses:
        if _never(ip):
            return f"{host} leads to {ip}, a link-local, multicast or reserved address"
        if _internal(ip) and not allow_internal:
            return (
                f"{host} leads to {ip}, an address of the internal network "
                "(allowed only with WEBHOOK_ALLOW_INTERNAL_TARGETS=true)"
            )
    return None
