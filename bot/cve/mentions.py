"""What a free-text message says about its CVE question: the version and the component it names."""

from __future__ import annotations

import re

from .components import COMPONENTS, Component

# "v1.29.3", "1.29", "1.29.3-eks-1234", "1.30.2+k3s1": a Kubernetes-looking version, not part of an
# IP address, a CVE id or a longer dotted number.
_VERSION = re.compile(r"(?<![\w.-])v?(1\.\d{1,2}(?:\.\d{1,3})?(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]{0,40})?)(?![\w]|\.\d)")
_ALIASES = sorted(((alias, component) for component in COMPONENTS for alias in component.aliases),
                  key=lambda pair: -len(pair[0]))


def find_version(text: str) -> str | None:
    """The first Kubernetes-looking version in `text`, as written (without a leading v)."""
    found = _VERSION.search(text)
    return found.group(1).rstrip(".-+") if found else None


def find_component(text: str) -> Component | None:
    """The component named in `text` (longest alias first), if any."""
    lowered = " " + re.sub(r"[\s_]+", " ", text.lower()) + " "
    for alias, component in _ALIASES:
        if re.search(r"(?<![\w-])" + re.escape(alias) + r"(?![\w-])", lowered):
            return component
    return None
