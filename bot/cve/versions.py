"""Versions as people write them, compared as SemVer 2.0 on the Kubernetes release core.

Two parsers:

* `parse_record_version` for the version strings inside OSV records (`1.29.7`, `2.0.0-alpha.1`, the
  special `0` that sorts before every version). Strict SemVer; pre-releases are kept.
* `parse_user_version` for what a person types: `v1.29.3`, `1.29`, `1.29.x`, `1.29.3-eks-1234`,
  `1.30.2+k3s1`, `1.28.0-gke.100`, `v1.28.3+rke2r1`. Build metadata (`+...`) is dropped as SemVer says.
  A `-suffix` that is a Kubernetes pre-release (`alpha`, `beta`, `rc`, optionally `.N`) stays a
  pre-release; any other suffix is a distributor's build tag (EKS, GKE, AKS...) and is set aside, so
  `1.29.3-eks-1234` compares as `1.29.3` (strict SemVer would put it *before* 1.29.3). Distributors can
  backport fixes without changing the core version, so answers about such versions say so.

A bare minor (`1.29`, `1.29.x`) parses to a `UserVersion` with `patch is None`; range code answers it
per patch range instead of as one point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "Version",
    "UserVersion",
    "VersionError",
    "ZERO",
    "parse_record_version",
    "parse_user_version",
    "minor_bounds",
]


class VersionError(ValueError):
    """A version string that cannot be read; the message is one line, fit to show a person."""


def _pre_key(pre: tuple[str, ...]) -> tuple:
    # SemVer 2.0 section 11: a release sorts after its pre-releases; identifiers compare numerically
    # when numeric, lexically (ASCII) otherwise, numeric < alphanumeric; a longer set wins on a tie.
    if not pre:
        return (1,)
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre))


@dataclass(frozen=True, order=False)
class Version:
    """A SemVer version (build metadata dropped). `Version.zero()` is OSV's `"0"`: below everything."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()
    is_zero: bool = False
    key: tuple = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        key = (-1,) if self.is_zero else (0, self.major, self.minor, self.patch, _pre_key(self.pre))
        object.__setattr__(self, "key", key)

    @classmethod
    def zero(cls) -> "Version":
        return cls(0, 0, 0, (), True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: "Version") -> bool:
        return self.key < other.key

    def __le__(self, other: "Version") -> bool:
        return self.key <= other.key

    def __gt__(self, other: "Version") -> bool:
        return self.key > other.key

    def __ge__(self, other: "Version") -> bool:
        return self.key >= other.key

    def __str__(self) -> str:
        if self.is_zero:
            return "0"
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.pre)}" if self.pre else core


ZERO = Version.zero()

_NUM = r"(?:0|[1-9]\d*)"
_IDENT = r"[0-9A-Za-z-]+"
_RECORD_RE = re.compile(
    rf"^v?(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?$"
)


@lru_cache(maxsize=4096)
def parse_record_version(text: str) -> Version:
    """Parse a version string from an OSV SEMVER range (`"0"` allowed). Raises `VersionError`."""
    if not isinstance(text, str):
        raise VersionError(f"version must be a string, got {type(text).__name__}")
    value = text.strip()
    if value == "0":
        return ZERO
    match = _RECORD_RE.match(value)
    if not match:
        raise VersionError(f"not a SemVer version: {text!r}")
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    for ident in pre:
        if ident.isdigit() and len(ident) > 1 and ident.startswith("0"):
            raise VersionError(f"not a SemVer version (leading zero in {ident!r}): {text!r}")
    return Version(int(match["major"]), int(match["minor"]), int(match["patch"]), pre)


@dataclass(frozen=True)
class UserVersion:
    """A version as a person wrote it, read down to what matters for comparison."""

    raw: str
    major: int
    minor: int
    patch: int | None  # None: a bare minor such as "1.29"
    pre: tuple[str, ...] = ()  # a Kubernetes pre-release (alpha/beta/rc), kept for comparison
    distro: str | None = None  # a distributor's build suffix that was set aside (eks-1234, gke.100, k3s1)

    @property
    def is_minor(self) -> bool:
        return self.patch is None

    @property
    def minor_label(self) -> str:
        return f"{self.major}.{self.minor}"

    def as_version(self) -> Version:
        """The point compared against ranges. A bare minor has none (answer it per patch range)."""
        if self.patch is None:
            raise VersionError(f"{self.raw!r} is a minor release line, not a single version")
        return Version(self.major, self.minor, self.patch, self.pre)

    def __str__(self) -> str:
        if self.patch is None:
            return self.minor_label
        return str(self.as_version())


_USER_RE = re.compile(
    r"^[vV]?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?P<suffix>-[0-9A-Za-z.\-_]+)?(?:\+(?P<build>[0-9A-Za-z.\-_]+))?$"
)
_K8S_PRE_RE = re.compile(r"^(?:alpha|beta|rc)(?:\.(?:0|[1-9]\d*))?$")


@lru_cache(maxsize=4096)
def parse_user_version(text: str) -> UserVersion:
    """Parse a version as people write it. Raises `VersionError` with a one-line reason."""
    if not isinstance(text, str):
        raise VersionError(f"version must be text, got {type(text).__name__}")
    raw = text.strip()
    if not raw:
        raise VersionError("empty version")
    if len(raw) > 64:
        raise VersionError("version is too long to be a Kubernetes version")
    match = _USER_RE.match(raw)
    if not match:
        raise VersionError(
            f"not a version I can read: {raw!r} (expected something like 1.29.3, v1.29.3, 1.29 or 1.29.3-eks-1234)"
        )
    major, minor = int(match["major"]), int(match["minor"])
    patch_text = match["patch"]
    patch = None if patch_text is None or patch_text in {"x", "X", "*"} else int(patch_text)
    pre: tuple[str, ...] = ()
    distro: str | None = None
    suffix = match["suffix"]
    if suffix:
        body = suffix[1:]
        if patch is not None and _K8S_PRE_RE.match(body):
            pre = tuple(body.split("."))
        else:
            distro = body
    if match["build"]:
        distro = f"{distro}+{match['build']}" if distro else match["build"]
    return UserVersion(raw=raw, major=major, minor=minor, patch=patch, pre=pre, distro=distro)


def minor_bounds(major: int, minor: int) -> tuple[Version, Version]:
    """[first, end) of a release line: 1.29 -> [1.29.0, 1.30.0-0) (so 1.30 pre-releases fall outside)."""
    return Version(major, minor, 0), Version(major, minor + 1, 0, ("0",))
