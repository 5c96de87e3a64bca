"""CVE advisor: lookups on the synthetic fixture, snapshot checks, text, CLI, the snapshot builder,
and (when CVE_DATA points at one) the same invariants on a real snapshot."""

from __future__ import annotations

import copy
import io
import json
import os
import sys
import time
from pathlib import Path

import pytest

from bot.cve import CveAdvisor, MalformedCveId, SnapshotError, find_ids, find_malformed, is_malformed
from bot.cve.cli import main as cli_main
from bot.cve.feed import FeedItem
from bot.cve.records import FIXTURE_PATH, default_snapshot_path, load_snapshot, parse_snapshot
from bot.cve.render import as_text, escape
from bot.cve.versions import Version, parse_record_version

REPO = Path(__file__).resolve().parent.parent
JSON_KEYS = ["id", "found", "summary", "status", "severity", "components", "version", "affected", "links"]


@pytest.fixture(scope="module")
def advisor() -> CveAdvisor:
    return CveAdvisor.from_path(FIXTURE_PATH)


@pytest.fixture(scope="module")
def fixture_data() -> dict:
    return json.loads(FIXTURE_PATH.read_text())


# --------------------------------------------------------------------------- the fixture


def test_fixture_is_synthetic_and_loads(advisor):
    assert advisor.snapshot.synthetic is True
    assert advisor.data_as_of == "2099-01-15"
    assert len(advisor) == 9
    assert all(cve_id.startswith("CVE-2099-") for cve_id in advisor.snapshot.records)


def test_default_path_is_cve_data_else_the_fixture(tmp_path):
    assert default_snapshot_path({}) == FIXTURE_PATH
    assert default_snapshot_path({"CVE_DATA": "  "}) == FIXTURE_PATH
    assert default_snapshot_path({"CVE_DATA": str(tmp_path / "s.json")}) == tmp_path / "s.json"
    with pytest.raises(SnapshotError, match="file not found"):
        CveAdvisor.from_env({"CVE_DATA": str(tmp_path / "missing.json")})


# --------------------------------------------------------------------------- lookups


def test_backports_across_minors(advisor):
    a = advisor.lookup("CVE-2099-0001", version="1.29.3")
    assert a.found and a.affected is True and a.status == "fixed"
    assert a.components[0].name == "k8s.io/kubelet"
    assert a.components[0].fixed == ("1.28.12", "1.29.7", "1.30.3")  # sorted, whatever the record order
    assert a.components[0].detail == "fixed in 1.29.7: upgrade to 1.29.7 or a later 1.29 patch"
    assert advisor.lookup("CVE-2099-0001", version="1.29.7").affected is False
    assert advisor.lookup("CVE-2099-0001", version="v1.28.11").affected is True
    assert advisor.lookup("CVE-2099-0001", version="1.27.16").affected is False
    assert advisor.lookup("CVE-2099-0001", version="1.31.0").affected is False


def test_bare_minor_is_answered_per_patch_range(advisor):
    a = advisor.lookup("CVE-2099-0001", version="1.29")
    assert a.affected is None  # depends on the patch release
    assert a.components[0].detail == "1.29: affected before 1.29.7, fixed in 1.29.7"
    assert advisor.lookup("CVE-2099-0001", version="1.27").affected is False
    unfixed = advisor.lookup("CVE-2099-0003", version="1.29")
    assert unfixed.affected is True


def test_last_affected_only(advisor):
    a = advisor.lookup("CVE-2099-0002", version="1.27.4")
    assert a.affected is True
    assert a.components[0].fixed == ()
    assert a.components[0].last_affected == ("1.27.4", "1.28.2")
    assert advisor.lookup("CVE-2099-0002", version="1.27.5").affected is False
    assert advisor.lookup("CVE-2099-0002", version="1.28.2").affected is True
    assert advisor.lookup("CVE-2099-0002", version="1.28.3").affected is False
    assert a.status == "unknown"  # no status in the record and no fixed event: not claimed fixed


def test_unfixed_cve_without_fixed_event(advisor):
    a = advisor.lookup("CVE-2099-0003", version="1.31.2", component="kube-proxy")
    assert a.affected is True and a.status == "open"
    assert a.components[0].fixed == () and a.components[0].last_affected == ()
    assert a.components[0].detail == "no fixed release listed for this version"
    assert advisor.lookup("CVE-2099-0003", version="1.26.9").affected is False


def test_several_packages_and_component_filter(advisor):
    both = advisor.lookup("CVE-2099-0004", version="1.29.3")
    assert [c.name for c in both.components] == ["k8s.io/kubelet", "k8s.io/kube-proxy"]
    assert both.affected is True  # kubelet 1.29.3 is affected
    proxy = advisor.lookup("CVE-2099-0004", version="1.29.3", component="kube proxy")
    assert proxy.affected is False  # kube-proxy: last affected 1.29.1
    assert proxy.components[1].evaluated and not proxy.components[0].evaluated
    assert advisor.lookup("CVE-2099-0004", version="1.29.1", component="kube-proxy").affected is True
    assert advisor.lookup("CVE-2099-0004", version="1.30.1", component="kube-proxy").affected is True
    assert advisor.lookup("CVE-2099-0004", version="1.30.1", component="kubelet").affected is False


def test_component_the_cve_does_not_concern(advisor):
    a = advisor.lookup("CVE-2099-0006", version="1.29.3", component="kubelet")
    assert a.affected is False
    assert any("concerns ingress-nginx, not kubelet" in n for n in a.notes)


def test_unknown_component_answers_for_all(advisor):
    a = advisor.lookup("CVE-2099-0004", version="1.29.3", component="etcd")
    assert a.affected is True
    assert any("Unknown component 'etcd'" in n for n in a.notes)


def test_limit_event(advisor):
    assert advisor.lookup("CVE-2099-0005", version="1.25.9").affected is True
    assert advisor.lookup("CVE-2099-0005", version="1.26.0").affected is False
    assert advisor.lookup("CVE-2099-0005", version="1.19.9").affected is False
    assert advisor.lookup("CVE-2099-0005", version="1.29.1").affected is True
    assert advisor.lookup("CVE-2099-0005", version="1.29.2").affected is False


def test_ingress_nginx_versions_are_its_own(advisor):
    a = advisor.lookup("CVE-2099-0006", version="v1.11.2", component="nginx ingress")
    assert a.affected is True and a.components[0].detail == "fixed in 1.11.3: upgrade to 1.11.3 or a later 1.11 patch"
    assert advisor.lookup("CVE-2099-0006", version="1.11.3", component="ingress-nginx").affected is False
    assert advisor.lookup("CVE-2099-0006", version="1.10.4", component="ingress-nginx").affected is True
    # no component: a bare version is a Kubernetes version, never compared with ingress-nginx's own
    a = advisor.lookup("CVE-2099-0006", version="1.29.3")
    assert a.affected is None and not any(c.evaluated for c in a.components)
    assert any("versioned separately" in n for n in a.notes)
    assert a.severity.rating == "Critical" and a.severity.score == 10.0


def test_record_without_cvss_vector(advisor):
    a = advisor.lookup("CVE-2099-0007")
    assert a.found and a.severity is None
    assert a.as_dict()["severity"] is None
    assert "not rated" in as_text(a)


def test_record_without_version_ranges(advisor):
    a = advisor.lookup("CVE-2099-0008", version="1.29.3")
    assert a.found and a.components == () and a.affected is None
    assert any("no version ranges" in n for n in a.notes)


def test_prereleases_and_umbrella_package(advisor):
    a = advisor.lookup("CVE-2099-0009", version="1.31.0-beta.0", component="kube-apiserver")
    assert a.affected is True  # k8s.io/kubernetes covers every core component
    assert advisor.lookup("CVE-2099-0009", version="1.31.0-rc.0").affected is False
    assert advisor.lookup("CVE-2099-0009", version="2.0.0-alpha.0", component="csi-proxy").affected is True
    assert advisor.lookup("CVE-2099-0009", version="2.0.0", component="csi-proxy").affected is False


def test_distro_versions_compare_on_the_core_and_say_so(advisor):
    a = advisor.lookup("cve-2099-0001", version="1.29.3-eks-1234")
    assert a.id == "CVE-2099-0001" and a.affected is True
    assert any("distributor suffix 'eks-1234'" in n for n in a.notes)
    assert advisor.lookup("CVE-2099-0001", version="v1.29.7+k3s1").affected is False
    assert advisor.lookup("CVE-2099-0001", version="1.28.12-gke.100").affected is False


def test_alias_finds_the_record(advisor):
    a = advisor.lookup("CVE-2099-1001")
    assert a.found and a.id == "CVE-2099-0001"
    assert any("alias" in n for n in a.notes)


def test_no_version_gives_null_affected(advisor):
    a = advisor.lookup("CVE-2099-0001")
    assert a.version is None and a.affected is None
    assert [link.title for link in a.links] == ["Tracking issue", "cve.org", "Official Kubernetes CVE feed"]


def test_unreadable_version_does_not_raise(advisor):
    a = advisor.lookup("CVE-2099-0001", version="latest")
    assert a.found and a.affected is None and a.version == "latest"
    assert any("Could not read the version" in n for n in a.notes)


def test_unknown_id_is_not_found(advisor):
    a = advisor.lookup("CVE-2023-45288", version="1.29.3")
    assert not a.found and a.summary is None and a.affected is None and a.components == ()
    assert a.links[0].url == "https://www.cve.org/CVERecord?id=CVE-2023-45288"


@pytest.mark.parametrize("bad", ["CVE-2023-", "CVE-23-1234", "CVE2023-1234", "CVE-2023-123", "", "hello"])
def test_malformed_id_raises(advisor, bad):
    with pytest.raises(MalformedCveId) as info:
        advisor.lookup(bad)
    assert "CVE-YYYY-NNNN" in str(info.value)


def test_json_object_has_exactly_the_contract_keys(advisor):
    for cve_id, version in [("CVE-2099-0001", "1.29.3"), ("CVE-2099-0007", None), ("CVE-2023-45288", None)]:
        d = advisor.lookup(cve_id, version).as_dict()
        assert list(d) == JSON_KEYS
        json.dumps(d)
        for comp in d["components"]:
            assert list(comp) == ["name", "fixed", "last_affected"]


def test_with_feed_adds_new_ids_and_statuses(advisor):
    items = [
        FeedItem("CVE-2099-0100", "https://example.invalid/issues/100", "https://www.cve.org/CVERecord?id=CVE-2099-0100",
                 "SYNTHETIC: new in the feed", "rated [CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H](x)",
                 "2099-02-01T00:00:00Z", "open"),
        FeedItem("CVE-2099-0002", None, None, "x", None, None, "fixed"),
    ]
    merged = advisor.with_feed(items, fetched_at="2099-02-01T01:00:00Z")
    new = merged.lookup("CVE-2099-0100")
    assert new.found and new.status == "open" and new.severity.score == 8.8 and new.components == ()
    assert merged.lookup("CVE-2099-0002").status == "fixed"
    assert merged.lookup("CVE-2099-0100").feed_checked_at == "2099-02-01T01:00:00Z"
    assert not advisor.lookup("CVE-2099-0100").found  # the original is untouched


def test_lookup_p99_under_one_millisecond(advisor):
    cases = [("CVE-2099-0001", "1.29.3", None), ("CVE-2099-0004", "1.29", "kube-proxy"),
             ("CVE-2023-45288", None, None), ("CVE-2099-0006", "v1.11.1-eks-1", "ingress-nginx")]
    samples = []
    for i in range(4000):
        cve_id, version, comp = cases[i % len(cases)]
        t0 = time.perf_counter()
        advisor.lookup(cve_id, version, comp)
        samples.append(time.perf_counter() - t0)
    samples.sort()
    assert samples[int(len(samples) * 0.99)] < 0.001


# --------------------------------------------------------------------------- ids in text


def test_find_ids_in_free_text():
    text = ("I found cve-2023-2253 and CVE-2024-5321 on NVD (also CVE\u20112023\u20115528, and CVE-2024-5321 again); "
            "are they solved? not CVE-23-1234 nor CVE-2023- nor xCVE-2023-1111 nor CVE-2023-12345678x")
    assert find_ids(text) == ["CVE-2023-2253", "CVE-2024-5321", "CVE-2023-5528"]
    assert find_ids("CVE-2021-25741.") == ["CVE-2021-25741"]
    assert find_ids("(CVE-2021-25741)") == ["CVE-2021-25741"]
    assert find_ids("no ids here") == []


@pytest.mark.parametrize("token, expected", [
    ("CVE-2023-", True), ("CVE-23-1234", True), ("CVE2023-1234", True), ("CVE-2023-123", True),
    ("CVE-2023-1234-5", True), ("cve_2023_1234", True),
    ("CVE-2023-1234", False), ("cve-2023-12345", False), ("(CVE-2023-1234),", False), ("CVEs", False),
    ("CVE", False), ("kubelet", False), ("", False), ("CVE-related", False), ("CVE-XXXX-YYYY", False),
])
def test_is_malformed(token, expected):
    assert is_malformed(token) is expected


def test_find_malformed_in_text():
    assert find_malformed("is CVE-2023- fixed? and CVE-23-1234 and CVE-2024-5321 and CVEs in general") == [
        "CVE-2023-", "CVE-23-1234"]
    assert find_malformed("what about CVE 2023 1234?") == ["CVE 2023 1234"]
    assert find_malformed("any CVE-related news? a CVE 2 weeks ago") == []


# --------------------------------------------------------------------------- Slack text


def test_text_for_one_answer_has_every_part(advisor):
    text = as_text(advisor.lookup("CVE-2099-0001", version="v1.29.3", component="kubelet"))
    for part in ["*CVE-2099-0001*", "SYNTHETIC: kubelet backport example", "*Severity:* High (8.8",
                 "*Component:* kubelet", "*Status:* fixed", "*Fixed in:* kubelet 1.28.12, 1.29.7, 1.30.3",
                 "*Your version v1.29.3:* *affected*", "upgrade to 1.29.7", "*Mitigation:*",
                 "<https://example.invalid/issues/2099-0001|Tracking issue>",
                 "<https://www.cve.org/CVERecord?id=CVE-2099-0001|cve.org>",
                 "official-cve-feed/|Official Kubernetes CVE feed>", "Data as of 2099-01-15",
                 "Synthetic test data"]:
        assert part in text, part


def test_mitigation_pointer_matches_the_status(advisor):
    assert "upgrading to a fixed release is the fix" in as_text(advisor.lookup("CVE-2099-0001"))
    unfixed = as_text(advisor.lookup("CVE-2099-0003"))
    assert "no fixed release is listed" in unfixed and "upgrading" not in unfixed
    no_issue = as_text(advisor.lookup("CVE-2099-0005"))
    assert "*Mitigation:* see the advisory on <https://www.cve.org/CVERecord?id=CVE-2099-0005|cve.org>" in no_issue


def test_table_does_not_check_a_cluster_version_against_separately_versioned_projects(advisor):
    text = as_text(advisor.lookup_many(["CVE-2099-0006", "CVE-2099-0002"], version="1.28"))
    rows = text.split("```")[1].strip().splitlines()
    assert rows[1].startswith("CVE-2099-0006") and rows[1].endswith("not checked")
    assert rows[2].startswith("CVE-2099-0002") and rows[2].endswith("depends")
    assert "versioned separately" in text


def test_text_escapes_user_versions(advisor):
    text = as_text(advisor.lookup("CVE-2099-0001", version="1.29.3-<!channel>&x"))
    assert "<!channel>" not in text
    assert "1.29.3-&lt;!channel&gt;&amp;x" in text
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_text_for_an_unknown_id_points_to_dependency_guidance(advisor):
    text = as_text(advisor.lookup("CVE-2023-45288"))
    assert "is not a Kubernetes-announced CVE" in text
    assert "dependency-cves" in text
    with_guidance = as_text(advisor.lookup("CVE-2023-45288"), dependency_guidance="Scanners match versions.")
    assert "Scanners match versions." in with_guidance


def test_several_ids_render_as_a_table(advisor):
    answers = advisor.answer_text("what about CVE-2099-0001, CVE-2099-0002 and CVE-2023-45288?", version="1.29.3")
    text = as_text(answers)
    assert text.count("```") == 2
    rows = text.split("```")[1].strip().splitlines()
    assert rows[0].split() == ["CVE", "Severity", "Component", "Status", "Fixed", "in", "Affected"]
    assert rows[1].startswith("CVE-2099-0001") and rows[1].rstrip().endswith("yes")
    assert rows[2].startswith("CVE-2099-0002") and rows[2].rstrip().endswith("no")
    assert "not a Kubernetes CVE" in rows[3]
    assert "dependency-cves" in text and "Data as of 2099-01-15" in text


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_json_found_and_not_found():
    code, out, err = run_cli("CVE-2099-0001", "--version", "1.29.3", "--json", "--data", str(FIXTURE_PATH))
    assert code == 0 and err == ""
    obj = json.loads(out)
    assert list(obj) == JSON_KEYS and obj["affected"] is True and obj["version"] == "1.29.3"
    assert obj["components"] == [{"name": "k8s.io/kubelet", "fixed": ["1.28.12", "1.29.7", "1.30.3"], "last_affected": []}]
    assert obj["severity"] == {"rating": "High", "score": 8.8, "vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}
    assert out.count("\n") == 1  # exactly one object
    code, out, _ = run_cli("cve", "CVE-2023-45288", "--json", "--data", str(FIXTURE_PATH))
    obj = json.loads(out)
    assert code == 0 and obj["found"] is False and obj["affected"] is None


def test_cli_exit_codes_and_messages():
    code, out, err = run_cli("CVE-23-1234", "--data", str(FIXTURE_PATH))
    assert code == 2 and out == "" and "not a valid CVE id" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli("CVE-2099-0001", "--version", "1.2x", "--data", str(FIXTURE_PATH))
    assert code == 2 and "bad --version" in err
    code, _, err = run_cli("--json")
    assert code == 2 and "usage" in err
    code, _, err = run_cli("CVE-2099-0001", "--data", "/nonexistent/snap.json")
    assert code == 1 and "file not found" in err
    code, out, _ = run_cli("CVE-2099-0002", "--version", "1.27", "--data", str(FIXTURE_PATH))
    assert code == 0 and "1.27: affected up to 1.27.4" in out


def test_cli_uses_cve_data(monkeypatch, tmp_path, fixture_data):
    data = copy.deepcopy(fixture_data)
    data["snapshot_date"] = "2099-03-03"
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(data))
    monkeypatch.setenv("CVE_DATA", str(path))
    code, out, _ = run_cli("CVE-2099-0001")
    assert code == 0 and "Data as of 2099-03-03" in out


# --------------------------------------------------------------------------- snapshot checks


def _mutate(data: dict, path: list, value=None, delete: bool = False) -> dict:
    d = copy.deepcopy(data)
    target = d
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


@pytest.mark.parametrize(
    "path, value, delete, where, problem",
    [
        (["format"], "other/1", False, "format", "expected 'sigsec-cve-snapshot/1'"),
        (["snapshot_date"], "yesterday", False, "snapshot_date", "ISO date"),
        (["sources"], [], False, "sources", "at least one source"),
        (["sources", 0, "licence"], None, True, "sources[0].licence", "expected a string"),
        (["records", "CVE-2099-0001", "summary"], "", False, "records.CVE-2099-0001.summary", "must not be empty"),
        (["records", "CVE-2099-0001", "status"], "patched", False, "records.CVE-2099-0001.status", "expected one of"),
        (["records", "CVE-2099-0001", "severity"], "CVSS:3.1/AV:N", False, "records.CVE-2099-0001.severity",
         "missing base metric"),
        (["records", "CVE-2099-0001", "affected", 0, "ranges", 0, 1], {"fixd": "1.30.3"}, False,
         "records.CVE-2099-0001.affected[0].ranges[0][1]", "unknown event 'fixd'"),
        (["records", "CVE-2099-0001", "affected", 0, "ranges", 0, 1], {"fixed": "1.30"}, False,
         "records.CVE-2099-0001.affected[0].ranges[0]", "not a SemVer version"),
        (["records", "CVE-2099-0001", "affected", 0, "ranges", 0, 1], {"fixed": "1.30.3", "introduced": "0"}, False,
         "records.CVE-2099-0001.affected[0].ranges[0][1]", "exactly one"),
        (["records", "CVE-2099-0003", "affected", 0, "ranges"], [], False,
         "records.CVE-2099-0003.affected[0].ranges", "at least one range"),
        (["records", "CVE-2099-0003", "colour"], "red", False, "records.CVE-2099-0003", "unknown field(s) colour"),
        (["records", "CVE-99-1"], {"summary": "x"}, False, "records.CVE-99-1", "must be a CVE id"),
        (["records", "CVE-2099-0001", "in_feed"], "yes", False, "records.CVE-2099-0001.in_feed", "true/false"),
    ],
)
def test_bad_snapshots_fail_with_the_place(fixture_data, path, value, delete, where, problem):
    bad = _mutate(fixture_data, path, value, delete)
    with pytest.raises(SnapshotError) as info:
        parse_snapshot(bad, "snap.json")
    message = str(info.value)
    assert message.startswith(f"CVE snapshot snap.json: {where}: "), message
    assert problem in message and "\n" not in message


def test_unreadable_snapshot_files(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": ')
    with pytest.raises(SnapshotError, match="not valid JSON"):
        load_snapshot(broken)


# --------------------------------------------------------------------------- snapshot builder


def _osv(cve_id: str, package: str, events: list[dict], vector: str | None = None, **extra) -> dict:
    affected = {"package": {"ecosystem": "kubernetes", "name": package}, "ranges": [{"type": "SEMVER", "events": events}]}
    if vector:
        affected["severity"] = [{"type": "CVSS_V3", "score": vector}]
    doc = {"id": cve_id, "modified": "2099-01-01T00:00:00Z", "published": "2099-01-01T00:00:00Z",
           "summary": f"SYNTHETIC {cve_id}", "details": "made up", "affected": [affected],
           "references": [{"type": "ADVISORY", "url": "https://example.invalid/issues/1"}]}
    doc.update(extra)
    return doc


def test_build_script_on_synthetic_upstream_data(tmp_path, capsys):
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import build_cve_snapshot as builder
    finally:
        sys.path.pop(0)
    vulns = tmp_path / "checkout" / "vulns"
    vulns.mkdir(parents=True)
    (tmp_path / "checkout" / "last_updated.json").write_text('{"k8s-vulndb": "2099-01-01T00:00:00Z"}')
    docs = {
        "CVE-2099-0201": _osv("CVE-2099-0201", "k8s.io/kubelet",
                              [{"introduced": "1.30.0"}, {"fixed": "1.30.3"}, {"introduced": "0"}, {"fixed": "1.29.7"}],
                              "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"),
        "CVE-2099-0202": _osv("CVE-2099-0202", "k8s.io/apiserver", [{"introduced": "0"}, {"last_affected": "1.28.1"}]),
        "CVE-2099-0203": _osv("CVE-2099-0203", "k8s.io/kubectl", [{"introduced": "1.2"}, {"fixed": "1.3.0"}]),  # bad
    }
    docs["CVE-2099-0202"]["affected"][0]["versions"] = ["1.29.0"]
    for cve_id, doc in docs.items():
        (vulns / f"{cve_id}.json").write_text(json.dumps(doc))
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "_kubernetes_io": {"updated_at": "2099-01-02T00:00:00Z"},
        "items": [
            {"id": "CVE-2099-0201", "url": "https://example.invalid/issues/1", "status": "fixed",
             "summary": "s", "date_published": "2099-01-01T00:00:00Z"},
            {"id": "CVE-2099-0204, CVE-2099-0205", "url": "https://example.invalid/issues/5",
             "summary": "SYNTHETIC pair", "date_published": "2099-01-03T00:00:00Z", "status": "open",
             "content_text": "CVSS Rating: [CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N](https://x)"},
        ],
    }
    feed_path = tmp_path / "feed.json"
    feed_path.write_text(json.dumps(feed))
    out = tmp_path / "out" / "snapshot.json"
    code = builder.main([str(tmp_path / "checkout"), "--feed", str(feed_path), "--out", str(out), "--date", "2099-01-05"])
    assert code == 0
    captured = capsys.readouterr()
    assert "CVE-2099-0203.json affected[0] ranges[0]: range skipped" in captured.err
    assert "wrote" in captured.out and "5 records" in captured.out
    snap = load_snapshot(out)
    assert snap.snapshot_date == "2099-01-05" and not snap.synthetic
    assert [s["licence"] for s in snap.sources] == ["Apache-2.0", "CC-BY-4.0"]
    assert snap.sources[0]["upstream_updated"] == "2099-01-01T00:00:00Z"
    adv = CveAdvisor(snap)
    assert adv.lookup("CVE-2099-0201", "1.29.6").affected is True
    assert adv.lookup("CVE-2099-0201", "1.29.7").affected is False
    assert adv.lookup("CVE-2099-0201").status == "fixed"
    assert adv.lookup("CVE-2099-0202", "1.29.0").affected is True  # from the explicit versions list
    assert adv.lookup("CVE-2099-0202", "1.29.1").affected is False
    pair = adv.lookup("CVE-2099-0205")
    assert pair.found and pair.status == "open" and pair.components == () and pair.severity.score == 6.5
    # its only range was unusable: still a Kubernetes CVE (never "not announced"), without ranges
    broken = adv.lookup("CVE-2099-0203", "1.2.5")
    assert broken.found and broken.components == () and broken.affected is None
    assert builder.main([str(tmp_path / "checkout"), "--out", str(tmp_path / "strict.json"), "--strict"]) == 1


# --------------------------------------------------------------------------- a real snapshot (CVE_DATA)

REAL = os.environ.get("CVE_DATA", "").strip()
real_only = pytest.mark.skipif(not REAL, reason="CVE_DATA is not set: no real snapshot to check (see docs/cve-advisor.md)")


@pytest.fixture(scope="module")
def real() -> CveAdvisor:
    adv = CveAdvisor.from_path(REAL)
    if adv.snapshot.synthetic:
        pytest.skip("CVE_DATA points at synthetic data, not a real snapshot")
    return adv


@real_only
def test_real_snapshot_loads_with_attribution(real):
    assert len(real) > 0
    assert all(s.get("licence") for s in real.snapshot.sources)


@real_only
def test_real_snapshot_every_record_answers(real):
    for cve_id, record in real.snapshot.records.items():
        answer = real.lookup(cve_id, version="1.29.3")
        assert answer.found and list(answer.as_dict()) == JSON_KEYS
        text = as_text(answer)
        assert cve_id in text and "Data as of" in text


@real_only
def test_real_snapshot_ranges_are_consistent(real):
    checked = 0
    for record in real.snapshot.records.values():
        for package in record.packages:
            for iv in package.intervals:
                if not iv.start.is_zero:
                    assert any(r for r in package.ranges if _hit(iv.start, r)), (record.id, package.name, iv)
                if iv.end is not None and iv.end_kind == "fixed":
                    # a fixed version is outside this interval (another range may still cover it)
                    assert not iv.contains(iv.end)
                checked += 1
    assert checked > 0


def _hit(v: Version, r) -> bool:
    from bot.cve.ranges import is_affected

    return is_affected(v, r)


@real_only
@pytest.mark.parametrize(
    "cve_id, version, component, expected",
    [
        # published advisories (kubernetes/kubernetes#121879, #126161, #126744)
        ("CVE-2023-5528", "1.26.3", "kubelet", True),
        ("CVE-2023-5528", "1.26.11", "kubelet", False),
        ("CVE-2024-5321", "1.29.6", "kubelet", True),
        ("CVE-2024-5321", "1.29.7", "kubelet", False),
        ("CVE-2024-7646", "1.11.1", "ingress-nginx", True),
        ("CVE-2024-7646", "1.11.2", "ingress-nginx", False),
    ],
)
def test_real_snapshot_known_advisories(real, cve_id, version, component, expected):
    if real.snapshot.get(cve_id) is None or not real.snapshot.get(cve_id).packages:
        pytest.skip(f"{cve_id} has no version ranges in this snapshot")
    assert real.lookup(cve_id, version, component).affected is expected


@real_only
def test_real_snapshot_lookup_p99(real):
    ids = list(real.snapshot.records)
    samples = []
    for i in range(5000):
        t0 = time.perf_counter()
        real.lookup(ids[i % len(ids)], "1.29.3")
        samples.append(time.perf_counter() - t0)
    samples.sort()
    assert samples[int(len(samples) * 0.99)] < 0.001


def test_record_versions_parse_as_used_by_the_builder():
    assert parse_record_version("2.0.0-alpha.0") < parse_record_version("2.0.0")
