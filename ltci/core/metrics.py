"""/metrics: request counts and latencies for Prometheus, to the platform administrator's network only.

django-prometheus's middleware counts every request by view name (the route's name, such as
`person_detail` or `api-1.0.0:list_persons`, never the path with its ids; `<unnamed view>` for a
path no route matches), method and status, and times it (docs/decisions/0025). This view answers
in Prometheus's text format to addresses in settings.METRICS_ALLOWED (LTCI_METRICS_ALLOWED, a
comma-separated list of addresses or CIDR networks, default loopback only); to any other, 404, as
if there were no such page.

The address checked is the connection's (REMOTE_ADDR), or, when the connection comes from this
machine (the local proxy), the X-Real-IP the proxy sets: a client elsewhere cannot name itself
allowed by sending the header, and one behind the proxy is not allowed for being proxied from
loopback.

Several serving processes: with PROMETHEUS_MULTIPROC_DIR set (an empty folder when serving starts,
such as systemd's RuntimeDirectory), each process writes its figures there and this view sums them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import Http404

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    """'127.0.0.1, ::1, 10.20.0.0/24' → networks; an address alone is a network of one."""
    from django.core.exceptions import ImproperlyConfigured

    networks = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"LTCI_METRICS_ALLOWED: {item!r} is not an address or network ({exc})") from exc
    return networks


@lru_cache(maxsize=8)
def _allowed(text: str) -> tuple[Network, ...]:
    return tuple(parse_networks(text))


def _address(text: str | None):
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address


def scraper_address(request):
    """The address /metrics is answered to, or None when it cannot be told."""
    peer = _address(request.META.get("REMOTE_ADDR"))
    if peer is not None and peer.is_loopback and request.META.get("HTTP_X_REAL_IP"):
        return _address(request.META["HTTP_X_REAL_IP"])  # the local proxy says whom it serves
    return peer


def may_scrape(request) -> bool:
    address = scraper_address(request)
    return address is not None and any(address in network for network in _allowed(settings.METRICS_ALLOWED))


def metrics(request):
    if not may_scrape(request):
        raise Http404
    from django_prometheus.exports import ExportToDjangoView

    response = ExportToDjangoView(request)
    response["Cache-Control"] = "no-store"
    return response
