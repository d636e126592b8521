"""A requests session that reads the environment's HTTP settings once, when it is made.

With `trust_env` on, requests reads every proxy variable and looks for `~/.netrc` on each
request: about a seventh of a webhook post. Here the proxies (`HTTP_PROXY`, `HTTPS_PROXY`,
`ALL_PROXY`, `NO_PROXY`) and the CA bundle (`REQUESTS_CA_BUNDLE`, `CURL_CA_BUNDLE`) are
taken from the environment at start, and `.netrc` is never read: its passwords are not
meant for the merchants' webhook URLs or the gateway.
"""

from __future__ import annotations

import os
import urllib.request
from typing import TYPE_CHECKING, Any

import requests
from requests.utils import should_bypass_proxies

if TYPE_CHECKING:
    from requests.sessions import _Settings  # the stubs' name for what requests returns


class Session(requests.Session):
    """requests' session, with the proxies and CA bundle of the environment at its making."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        environment = urllib.request.getproxies()
        self.no_proxy = environment.pop("no", "")
        self.proxies = environment
        self.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> _Settings:
        """Send `url` past the proxies when NO_PROXY names its host, as requests would."""
        if self.proxies and self.no_proxy and should_bypass_proxies(str(url), self.no_proxy):
            # A None setting removes the session's own when requests merges the two.
            proxies = {**(proxies or {}), **dict.fromkeys(self.proxies)}
        return super().merge_environment_settings(url, proxies, stream, verify, cert)
