"""CVE advisor: "is CVE-X fixed in my version?" answered from the official Kubernetes CVE data.

Entry point:

    from bot.cve import CveAdvisor
    advisor = CveAdvisor.from_env()              # snapshot at $CVE_DATA, else the synthetic fixture
    answer = advisor.lookup("CVE-2024-5321", version="v1.29.3", component="kubelet")
    advisor.find_ids(text), advisor.find_malformed(text), advisor.is_malformed(token)

Modules: versions (reading versions), ranges (OSV range semantics), records (snapshot model and
loader), components (component names), cvss (severity), advisor (lookups), feed (runtime refresh
from the official feed), render (Slack text), cli (`cve CVE-ID [--version V] [--json]`).
See docs/cve-advisor.md.
"""

from .advisor import (
    ComponentAnswer,
    CveAdvisor,
    CveAnswer,
    Link,
    MalformedCveId,
    find_ids,
    find_malformed,
    is_malformed,
)
from .cvss import Severity
from .records import SnapshotError
from .versions import VersionError

__all__ = [
    "CveAdvisor",
    "CveAnswer",
    "ComponentAnswer",
    "Link",
    "Severity",
    "MalformedCveId",
    "SnapshotError",
    "VersionError",
    "find_ids",
    "find_malformed",
    "is_malformed",
]
