"""CVE advisor: reading versions, OSV range semantics, CVSS scores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cve.cvss import CvssError, base_score, find_vectors, rating, roundup, severity_of
from bot.cve.ranges import (
    Interval,
    any_affected,
    describe_minor,
    intervals,
    is_affected,
    make_range,
    minor_verdict,
)
from bot.cve.versions import ZERO, Version, VersionError, parse_record_version, parse_user_version

V = parse_record_version


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    "text, core, distro, minor_only",
    [
        ("v1.29.3", "1.29.3", None, False),
        ("1.29.3", "1.29.3", None, False),
        ("  V1.29.3 ", "1.29.3", None, False),
        ("1.29", "1.29", None, True),
        ("v1.29", "1.29", None, True),
        ("1.29.x", "1.29", None, True),
        ("1.29.3-eks-1234", "1.29.3", "eks-1234", False),
        ("v1.29.3-eks-ae9a62a", "1.29.3", "eks-ae9a62a", False),
        ("1.30.2+k3s1", "1.30.2", "k3s1", False),
        ("v1.28.3+rke2r1", "1.28.3", "rke2r1", False),
        ("1.28.0-gke.100", "1.28.0", "gke.100", False),
        ("1.31.0-alpha.1", "1.31.0-alpha.1", None, False),
        ("1.31.0-rc.0", "1.31.0-rc.0", None, False),
        ("1.31.0-beta", "1.31.0-beta", None, False),
    ],
)
def test_user_versions_as_people_write_them(text, core, distro, minor_only):
    uv = parse_user_version(text)
    assert str(uv) == core
    assert uv.distro == distro
    assert uv.is_minor is minor_only


@pytest.mark.parametrize("text", ["", "1", "v1", "1.2x", "latest", "1.29.3.4", "one.two.three", "1.29.3 extra", "x" * 80])
def test_unreadable_user_versions_raise_one_line(text):
    with pytest.raises(VersionError) as info:
        parse_user_version(text)
    assert "\n" not in str(info.value)


def test_distro_suffix_compares_on_the_core_not_as_a_prerelease():
    # Strict SemVer would put 1.29.3-eks-1234 *before* 1.29.3; people mean 1.29.3.
    assert parse_user_version("1.29.3-eks-1234").as_version() == V("1.29.3")
    assert parse_user_version("1.28.0-gke.100").as_version() > V("1.27.99")
    assert parse_user_version("1.28.0-gke.100").as_version() == V("1.28.0")
    # a Kubernetes pre-release stays one
    assert parse_user_version("1.31.0-rc.1").as_version() < V("1.31.0")


def test_bare_minor_has_no_single_point():
    with pytest.raises(VersionError):
        parse_user_version("1.29").as_version()


@pytest.mark.parametrize(
    "ordered",
    [
        # SemVer 2.0 section 11 example chain
        ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
         "1.0.0-rc.1", "1.0.0"],
        ["0", "0.0.1", "1.9.0", "1.10.0", "1.29.7", "1.29.10", "2.0.0-alpha.0", "2.0.0-alpha.1", "2.0.0"],
    ],
)
def test_semver_precedence(ordered):
    versions = [V(t) for t in ordered]
    for a, b in zip(versions, versions[1:]):
        assert a < b and b > a and a != b, (a, b)
    assert sorted(reversed(versions)) == versions


def test_record_versions_are_strict():
    assert V("0") is ZERO
    assert V("1.2.3+build.5") == V("1.2.3")  # build metadata ignored
    for bad in ["1.2", "1.2.3.4", "01.2.3", "1.2.3-01", "v", "", "latest"]:
        with pytest.raises(VersionError):
            V(bad)


# --------------------------------------------------------------------------- ranges


def rng(*events):
    return make_range(events)


def test_introduced_fixed_pairs_in_any_order_are_sorted_before_the_walk():
    # events written newest-first, as in the real kubelet records
    r = rng(("introduced", "1.30.0"), ("fixed", "1.30.3"), ("introduced", "1.28.0"), ("fixed", "1.28.12"),
            ("introduced", "1.29.0"), ("fixed", "1.29.7"))
    assert is_affected(V("1.29.3"), r)
    assert not is_affected(V("1.29.7"), r)
    assert is_affected(V("1.29.6"), r)
    assert is_affected(V("1.28.0"), r)
    assert not is_affected(V("1.27.99"), r)
    assert not is_affected(V("1.31.0"), r)
    assert is_affected(V("1.30.2"), r) and not is_affected(V("1.30.3"), r)


def test_introduced_zero_means_from_the_beginning():
    r = rng(("introduced", "0"), ("fixed", "1.11.2"))
    assert is_affected(V("0.0.1"), r)
    assert is_affected(V("1.11.1"), r)
    assert not is_affected(V("1.11.2"), r)


def test_last_affected_includes_that_version_and_not_the_next():
    r = rng(("introduced", "0"), ("last_affected", "1.27.4"))
    assert is_affected(V("1.27.4"), r)
    assert not is_affected(V("1.27.5"), r)
    assert not is_affected(V("1.28.0"), r)


def test_unfixed_range_is_affected_from_introduced_on():
    r = rng(("introduced", "1.27.0"))
    assert not is_affected(V("1.26.9"), r)
    assert is_affected(V("1.27.0"), r)
    assert is_affected(V("9.99.0"), r)
    assert intervals(r) == [Interval(V("1.27.0"), None, None)]


def test_limit_bounds_the_range_and_several_limits_union():
    r = rng(("introduced", "1.20.0"), ("limit", "1.26.0"))
    assert is_affected(V("1.25.9"), r)
    assert not is_affected(V("1.26.0"), r)
    assert intervals(r) == [Interval(V("1.20.0"), V("1.26.0"), "limit")]
    two = rng(("introduced", "1.0.0"), ("limit", "1.2.0"), ("limit", "1.5.0"))
    assert is_affected(V("1.4.0"), two)  # below at least one limit
    assert not is_affected(V("1.5.0"), two)
    star = rng(("introduced", "1.0.0"), ("limit", "*"))
    assert is_affected(V("99.0.0"), star)


def test_several_ranges_any_one_affects():
    ranges = [rng(("introduced", "0"), ("fixed", "1.2.0")), rng(("introduced", "3.0.0"), ("fixed", "3.2.5"))]
    assert any_affected(V("1.1.0"), ranges)
    assert not any_affected(V("2.0.0"), ranges)
    assert any_affected(V("3.2.4"), ranges)
    assert not any_affected(V("3.2.5"), ranges)


def test_prerelease_ranges_as_in_csi_proxy():
    r = rng(("introduced", "2.0.0-alpha.0"), ("fixed", "2.0.0-alpha.1"), ("introduced", "0"), ("fixed", "1.1.3"))
    assert is_affected(V("2.0.0-alpha.0"), r)
    assert not is_affected(V("2.0.0-alpha.1"), r)
    assert not is_affected(V("2.0.0"), r)
    assert is_affected(V("1.1.2"), r) and not is_affected(V("1.1.3"), r)


@pytest.mark.parametrize(
    "events, problem",
    [
        ([("fixed", "1.2.3")], "at least one introduced"),
        ([("introduced", "0"), ("fixed", "0")], "cannot be \"0\""),
        ([("introduced", "0"), ("patched", "1.2.3")], "unknown range event"),
        ([("introduced", "1.2")], "not a SemVer version"),
    ],
)
def test_bad_ranges_are_refused(events, problem):
    with pytest.raises(ValueError, match=problem):
        make_range(events)


def test_minor_line_answers_per_patch_range():
    r = rng(("introduced", "1.28.0"), ("fixed", "1.28.12"), ("introduced", "1.29.0"), ("fixed", "1.29.7"))
    ivs = intervals(r)
    v129 = minor_verdict(ivs, 1, 29)
    assert v129.affected is None
    assert describe_minor(v129) == "1.29: affected before 1.29.7, fixed in 1.29.7"
    assert minor_verdict(ivs, 1, 27).affected is False
    assert describe_minor(minor_verdict(ivs, 1, 30)) == "1.30: not affected"


def test_minor_line_fully_affected_names_the_later_fix():
    r = rng(("introduced", "0"), ("fixed", "1.25.16"))
    verdict = minor_verdict(intervals(r), 1, 24)
    assert verdict.affected is True
    assert describe_minor(verdict) == "1.24: every 1.24 release affected, no fix in 1.24 (first fixed release: 1.25.16)"
    unfixed = minor_verdict(intervals(rng(("introduced", "1.27.0"))), 1, 29)
    assert unfixed.affected is True and "no fix in 1.29 listed" in describe_minor(unfixed)


def test_minor_line_with_introduction_mid_line_and_last_affected():
    r = rng(("introduced", "1.29.2"), ("fixed", "1.29.5"))
    assert describe_minor(minor_verdict(intervals(r), 1, 29)) == "1.29: affected from 1.29.2 before 1.29.5, fixed in 1.29.5"
    la = rng(("introduced", "0"), ("last_affected", "1.27.4"))
    assert describe_minor(minor_verdict(intervals(la), 1, 27)) == "1.27: affected up to 1.27.4 (last affected; no fixed release named)"


# Property: the interval form agrees with the OSV walk for any events and any version.
_versions = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
_events = st.lists(
    st.tuples(st.sampled_from(["introduced", "fixed", "last_affected", "limit"]), _versions), min_size=1, max_size=8
)


@settings(max_examples=400, deadline=None)
@given(events=_events, probe=_versions, zero=st.booleans())
def test_intervals_agree_with_the_osv_walk(events, probe, zero):
    events = list(events) + ([("introduced", "0")] if zero or not any(k == "introduced" for k, _ in events) else [])
    r = make_range(events)
    v = V(probe)
    assert is_affected(v, r) == any(iv.contains(v) for iv in intervals(r)), (events, probe, intervals(r))


@settings(max_examples=200, deadline=None)
@given(events=_events, minor=st.integers(0, 3))
def test_minor_verdict_agrees_with_each_patch(events, minor):
    events = list(events) + [("introduced", "0")]
    r = make_range(events)
    verdict = minor_verdict(intervals(r), 1, minor)
    hits = [is_affected(Version(1, minor, p), r) for p in range(0, 5)]
    if verdict.affected is True:
        assert all(hits)
    elif verdict.affected is False:
        assert not any(hits)


# --------------------------------------------------------------------------- CVSS


@pytest.mark.parametrize(
    "vector, score, label",
    [
        ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "High"),  # CVE-2023-5528 advisory: 7.2
        ("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N", 3.4, "Low"),  # CVE-2023-2431 advisory: 3.4
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N", 6.5, "Medium"),  # CVE-2023-2878 advisory: 6.5
        ("CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L", 6.3, "Medium"),  # CVE-2020-8554: 6.3
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8, "High"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "Critical"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "None"),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "Low"),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "Medium"),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N/E:P/RL:O/RC:C", 6.4, "Medium"),  # temporal ignored
    ],
)
def test_cvss_base_scores(vector, score, label):
    assert base_score(vector) == score
    sev = severity_of(vector)
    assert (sev.score, sev.rating) == (score, label)


def test_cvss_roundup_is_float_safe():
    assert roundup(4.000000000000001) == 4.0  # naive ceil(x*10)/10 gives 4.1
    assert roundup(4.02) == 4.1
    assert roundup(4.0) == 4.0


@pytest.mark.parametrize("score, label", [(0.0, "None"), (0.1, "Low"), (3.9, "Low"), (4.0, "Medium"),
                                          (6.9, "Medium"), (7.0, "High"), (8.9, "High"), (9.0, "Critical")])
def test_cvss_rating_scale(score, label):
    assert rating(score) == label


@pytest.mark.parametrize(
    "vector, problem",
    [
        ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with CVSS:3"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "must start with CVSS:3"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "missing base metric"),
        ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "bad value AV:X"),
        ("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "given twice"),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q", "unknown metric"),
        ("", "empty"),
    ],
)
def test_bad_cvss_vectors(vector, problem):
    with pytest.raises(CvssError, match=problem):
        base_score(vector)


def test_vectors_quoted_in_advisory_text():
    text = ("This issue has been rated MEDIUM [CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N]"
            "(https://www.first.org/cvss/calculator/3.1#CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N) and "
            "CVSS:3.1/AV:Q/AC:L is not a vector")
    assert find_vectors(text) == ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N"]
