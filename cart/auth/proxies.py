"""The client's address behind reverse proxies: X-Forwarded-For is believed only when the
connection comes from a proxy named in ``FORWARDED_ALLOW_IPS``."""
import ipaddress

from flask import Flask
from werkzeug.http import parse_list_header
from werkzeug.middleware.proxy_fix import ProxyFix

MAX_HOPS = 10


class TrustedProxies:
    """A list of addresses and networks (``"127.0.0.1, 10.0.0.0/8"``); ``*`` trusts any peer."""

    def __init__(self, spec: str):
        self.any = False
        self.networks = []
        for item in (spec or "").split(","):
            item = item.strip()
            if item == "*":
                self.any = True
            elif item:
                try:
                    self.networks.append(ipaddress.ip_network(item, strict=False))
                except ValueError:
                    raise ValueError(f"FORWARDED_ALLOW_IPS: {item!r} is not an address or "
                                     "network") from None

    def __bool__(self) -> bool:
        return self.any or bool(self.networks)

    def __contains__(self, address: str) -> bool:
        if self.any:
            return True
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        if ip.version == 6 and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip in network for network in self.networks)


class TrustedProxyFix:
    """Werkzeug's ProxyFix, applied only to requests whose peer is a trusted proxy.

    ProxyFix trusts a fixed number of hops from anyone; here a peer that is not a listed proxy
    keeps its own address whatever headers it sends. From a trusted peer the client is the
    right-most X-Forwarded-For entry that is not itself a trusted proxy (each proxy appends
    the address it received the request from), so a chain of listed proxies works too."""

    def __init__(self, app, trusted: TrustedProxies):
        self.app = app
        self.trusted = trusted
        self._fixes = {}

    def _fix(self, hops: int) -> ProxyFix:
        if hops not in self._fixes:
            self._fixes[hops] = ProxyFix(self.app, x_for=hops, x_proto=1)
        return self._fixes[hops]

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR", "") not in self.trusted:
            return self.app(environ, start_response)
        hops = 1
        if not self.trusted.any:
            forwarded = parse_list_header(environ.get("HTTP_X_FORWARDED_FOR", ""))
            while (hops < min(len(forwarded), MAX_HOPS)
                   and forwarded[-hops] in self.trusted):
                hops += 1
        return self._fix(hops)(environ, start_response)


def trust_proxies(app: Flask) -> None:
    """Wrap the app so that ``request.remote_addr`` is the client behind trusted proxies."""
    trusted = TrustedProxies(app.config.get("FORWARDED_ALLOW_IPS", ""))
    if trusted:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, trusted)
