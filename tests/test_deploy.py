"""deploy/: both kustomize overlays render, validate offline against the Kubernetes schemas, and keep
every container at the Restricted pod security level; the compose file runs two replicas on PostgreSQL.

Each overlay is rendered by tests/support/kustomize_lite.py (always) and by `kubectl kustomize`
(when kubectl is on PATH): the same assertions run on both, and where both exist their output must
be identical, so the small renderer that CI falls back on cannot drift from real kustomize.
"""

from __future__ import annotations

import copy
import functools
import posixpath
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from support.kustomize_lite import KustomizeLiteError, strategic_merge
from support.kustomize_lite import render as render_lite

ROOT = Path(__file__).resolve().parent.parent
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("single", "ha")
NAMESPACE = "sigsec-bot"
POD_LABELS = {"app.kubernetes.io/name": "sigsec-bot"}
UID = GID = 10001
# The oldest Kubernetes these manifests target, and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.29", kubernetes_validate.utils.latest_version())
# Volume types the Restricted profile allows.
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                           "projected", "secret"}


@functools.cache
def _kubectl_render(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(["kubectl", "kustomize", str(KUBERNETES / "overlays" / overlay)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return request.param


# kubectl joins only where installed; test_kubectl_and_the_python_renderer_agree says when it is not.
RENDERERS = ("kustomize_lite", "kubectl") if shutil.which("kubectl") else ("kustomize_lite",)


@pytest.fixture(params=RENDERERS)
def renderer(request: pytest.FixtureRequest) -> str:
    return request.param


def _render(renderer: str, overlay: str) -> list[dict[str, Any]]:
    if renderer == "kubectl":
        return copy.deepcopy(list(_kubectl_render(overlay)))
    return render_lite(KUBERNETES / "overlays" / overlay)


@pytest.fixture
def objects(renderer: str, overlay: str) -> list[dict[str, Any]]:
    return _render(renderer, overlay)


def _one(objects: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _pod_spec(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return _one(objects, "Deployment", "sigsec-bot")["spec"]["template"]["spec"]


def _containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container.get("env", [])}


def _container(pod: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in _containers(pod) if c["name"] == name)


# --------------------------------------------------------------------------- rendering and schemas


def test_both_overlays_render_the_expected_objects(objects: list[dict[str, Any]], overlay: str) -> None:
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objects)
    common = [("ConfigMap", "sigsec-bot-settings"), ("Deployment", "sigsec-bot"), ("Namespace", "sigsec-bot"),
              ("NetworkPolicy", "sigsec-bot"), ("Service", "sigsec-bot"), ("Service", "sigsec-bot-metrics"),
              ("ServiceAccount", "sigsec-bot")]
    extra = {"single": [("PersistentVolumeClaim", "sigsec-bot-data")],
             "ha": [("NetworkPolicy", "sigsec-bot-postgres"), ("PodDisruptionBudget", "sigsec-bot")]}[overlay]
    assert kinds == sorted(common + extra)
    # Secrets and the knowledge ConfigMaps are the operator's: applying the overlay never overwrites them.
    assert not [o for o in objects if o["kind"] in ("Secret", "Ingress")]
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"].get("namespace") == NAMESPACE, obj["metadata"]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_object_validates_offline_against_the_kubernetes_schemas(
        objects: list[dict[str, Any]], version: str) -> None:
    failures = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, exc.path))}: {exc.message}")
    assert failures == []


def test_kubectl_and_the_python_renderer_agree(overlay: str) -> None:
    if "kubectl" not in RENDERERS:
        pytest.skip("kubectl not on PATH: the overlays were rendered by tests/support/kustomize_lite.py only")

    def key(obj: dict[str, Any]) -> tuple[str, str]:
        return obj["kind"], obj["metadata"]["name"]

    assert sorted(render_lite(KUBERNETES / "overlays" / overlay), key=key) == sorted(_kubectl_render(overlay), key=key)


def test_secret_example_holds_only_marked_placeholders() -> None:
    documents = [d for d in yaml.safe_load_all((KUBERNETES / "secret.example.yaml").read_text()) if d]
    assert len(documents) == 1
    secret = documents[0]
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(secret, version, strict=True)
    assert secret["kind"] == "Secret" and secret["metadata"] == {
        "name": "sigsec-bot", "namespace": NAMESPACE, "labels": POD_LABELS}
    assert "data" not in secret  # stringData only: readable placeholders, nothing base64-hidden
    assert set(secret["stringData"]) == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "USER_ID_SALT", "DATABASE_URL"}
    assert all("REPLACE-ME" in value for value in secret["stringData"].values())
    # Not part of any kustomization (and no secretGenerator): `kubectl apply -k` never resets the real Secret.
    for path in KUBERNETES.rglob("kustomization.yaml"):
        kustomization = yaml.safe_load(path.read_text())
        assert "secretGenerator" not in kustomization
        assert not [r for r in kustomization.get("resources", []) if "secret" in r.lower()], path


# --------------------------------------------------------------------------- pod security


def test_namespace_enforces_audits_and_warns_restricted(objects: list[dict[str, Any]]) -> None:
    labels = _one(objects, "Namespace", NAMESPACE)["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_pod_meets_the_restricted_profile(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    context = pod["securityContext"]
    assert context["runAsNonRoot"] is True
    assert (context["runAsUser"], context["runAsGroup"], context["fsGroup"]) == (UID, GID, GID)
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}
    for host_namespace in ("hostNetwork", "hostPID", "hostIPC"):
        assert not pod.get(host_namespace), host_namespace
    for volume in pod["volumes"]:
        types = set(volume) - {"name"}
        assert types <= RESTRICTED_VOLUME_TYPES, volume


def test_every_container_and_init_container_meets_the_restricted_profile(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    containers = _containers(pod)
    assert {c["name"] for c in containers} == {"db-upgrade", "bot"}
    for container in containers:
        context = container["securityContext"]  # set on each container, not only inherited from the pod
        assert context["runAsNonRoot"] is True, container["name"]
        assert (context["runAsUser"], context["runAsGroup"]) == (UID, GID), container["name"]
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert not context.get("privileged"), container["name"]
        assert all("hostPort" not in port for port in container.get("ports", [])), container["name"]


def test_writable_tmp_is_an_empty_dir_in_every_container(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in _containers(pod):
        tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]], container["name"]


def test_no_service_account_token_is_mounted(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    assert pod["automountServiceAccountToken"] is False
    account = _one(objects, "ServiceAccount", pod["serviceAccountName"])
    assert account["automountServiceAccountToken"] is False


def test_every_container_has_requests_and_limits(objects: list[dict[str, Any]]) -> None:
    for container in _containers(_pod_spec(objects)):
        resources = container["resources"]
        for section in ("requests", "limits"):
            assert set(resources[section]) == {"cpu", "memory"}, (container["name"], section)


# --------------------------------------------------------------------------- behaviour


def test_probes_hit_healthz_and_readyz_on_the_bot_port(objects: list[dict[str, Any]]) -> None:
    bot = _container(_pod_spec(objects), "bot")
    assert bot["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert bot["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert bot["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
    env = _env(bot)
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert ports[bot[probe]["httpGet"]["port"]] == int(env["PORT"])
    # Readiness turns false within 10 s of the bot reporting not ready.
    readiness = bot["readinessProbe"]
    assert readiness["periodSeconds"] * readiness["failureThreshold"] <= 10
    assert env["HOST"] == "0.0.0.0"  # the kubelet probes the pod IP, not loopback


def test_database_is_upgraded_by_an_init_container_with_the_bots_image(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    init = _container(pod, "db-upgrade")
    assert pod["initContainers"] == [init]
    assert init["command"] == ["sigsec-bot", "db", "upgrade"]
    bot = _container(pod, "bot")
    assert bot["command"] == ["sigsec-bot", "run"]
    assert init["image"] == bot["image"]
    assert _env(init)["DATABASE_URL"] == _env(bot)["DATABASE_URL"]
    assert "envFrom" not in init  # it needs the database, not the Slack tokens


def test_knowledge_comes_from_configmaps_mounted_as_directories(objects: list[dict[str, Any]]) -> None:
    pod = _pod_spec(objects)
    bot = _container(pod, "bot")
    env = _env(bot)
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {volumes[m["name"]].get("configMap", {}).get("name"): m for m in bot["volumeMounts"]}
    knowledge = mounts["sigsec-bot-knowledge"]
    routing = mounts["sigsec-bot-routing"]
    # A subPath mount never sees ConfigMap updates; a directory mount does, so /sigsec reload works.
    assert "subPath" not in knowledge and "subPath" not in routing
    assert knowledge["readOnly"] is True and routing["readOnly"] is True
    assert env["KNOWLEDGE_DIR"] == knowledge["mountPath"]
    assert posixpath.dirname(env["ROUTING_FILE"]) == routing["mountPath"]
    # `kubectl create configmap --from-file=routing.yaml` names the key after the file.
    assert posixpath.basename(env["ROUTING_FILE"]) == "routing.yaml"
    # routing.yaml must not sit in the knowledge folder: every *.yaml there is read as knowledge.
    assert knowledge["mountPath"] != routing["mountPath"]
    assert not (ROOT / "knowledge" / "routing.yaml").exists()


def test_knowledge_fits_in_a_configmap() -> None:
    # The knowledge ConfigMap is made with `kubectl create configmap --from-file=knowledge/`; a
    # ConfigMap holds at most 1 MiB.
    size = sum(p.stat().st_size for p in (ROOT / "knowledge").glob("*.yaml"))
    assert 0 < size < 900 * 1024
    if shutil.which("kubectl"):
        result = subprocess.run(["kubectl", "-n", NAMESPACE, "create", "configmap", "sigsec-bot-knowledge",
                                 "--from-file=knowledge/", "--dry-run=client", "-o", "yaml"],
                                cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        configmap = yaml.safe_load(result.stdout)
        kubernetes_validate.validate(configmap, KUBERNETES_VERSIONS[-1], strict=True)
        assert sorted(configmap["data"]) == sorted(p.name for p in (ROOT / "knowledge").glob("*.yaml"))


def test_single_runs_one_replica_on_sqlite_on_a_volume(renderer: str) -> None:
    objects = _render(renderer, "single")
    deployment = _one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    pod = deployment["spec"]["template"]["spec"]
    claim = _one(objects, "PersistentVolumeClaim")["metadata"]["name"]
    data = [v["name"] for v in pod["volumes"] if v.get("persistentVolumeClaim", {}).get("claimName") == claim]
    assert len(data) == 1
    for container in _containers(pod):
        url = _env(container)["DATABASE_URL"]
        assert url.startswith("sqlite+aiosqlite:////")
        mount = next(m for m in container["volumeMounts"] if m["name"] == data[0])
        assert posixpath.dirname(url.removeprefix("sqlite+aiosqlite:///")) == mount["mountPath"]


def test_ha_runs_two_replicas_on_postgresql_from_the_secret(renderer: str) -> None:
    objects = _render(renderer, "ha")
    deployment = _one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["spec"]["template"]["spec"]
    for container in _containers(pod):
        assert _env(container)["DATABASE_URL"] == {"secretKeyRef": {"name": "sigsec-bot", "key": "DATABASE_URL"}}
    assert not any("persistentVolumeClaim" in v for v in pod["volumes"])
    budget = _one(objects, "PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"] == POD_LABELS
    assert deployment["spec"]["template"]["metadata"]["labels"] == POD_LABELS


def test_network_policies_allow_only_dns_https_and_postgresql(objects: list[dict[str, Any]], overlay: str) -> None:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    egress: set[tuple[int, str]] = set()
    ingress: set[str] = set()
    for policy in policies:
        assert policy["spec"]["podSelector"] == {"matchLabels": POD_LABELS}
        assert "Egress" in policy["spec"]["policyTypes"]
        for rule in policy["spec"].get("egress", []):
            assert rule.get("ports"), f"{policy['metadata']['name']}: an egress rule without ports allows everything"
            egress |= {(p["port"], p["protocol"]) for p in rule["ports"]}
        for rule in policy["spec"].get("ingress", []):
            assert rule.get("ports"), f"{policy['metadata']['name']}: an ingress rule without ports allows everything"
            names = {p["port"] for p in rule["ports"]}
            ingress |= names
            if "metrics" in names:
                assert rule.get("from"), "metrics must be reachable only from the monitoring namespace"
    expected = {(53, "UDP"), (53, "TCP"), (443, "TCP")} | ({(5432, "TCP")} if overlay == "ha" else set())
    assert egress == expected
    assert ingress == {"http", "metrics"}
    base = _one(objects, "NetworkPolicy", "sigsec-bot")
    assert set(base["spec"]["policyTypes"]) == {"Ingress", "Egress"}


def test_metrics_have_their_own_port_and_service(objects: list[dict[str, Any]]) -> None:
    bot = _container(_pod_spec(objects), "bot")
    ports = {p["name"]: p["containerPort"] for p in bot["ports"]}
    assert int(_env(bot)["METRICS_PORT"]) == ports["metrics"] != ports["http"]
    public = _one(objects, "Service", "sigsec-bot")
    assert [p["targetPort"] for p in public["spec"]["ports"]] == ["http"]  # what an Ingress points at
    metrics = _one(objects, "Service", "sigsec-bot-metrics")
    assert [p["targetPort"] for p in metrics["spec"]["ports"]] == ["metrics"]
    for service in (public, metrics):
        assert service["spec"]["selector"] == POD_LABELS
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"


# --------------------------------------------------------------------------- the Python renderer itself


def test_renderer_refuses_kustomization_features_it_does_not_implement(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: x-\n")
    with pytest.raises(KustomizeLiteError, match="namePrefix"):
        render_lite(tmp_path)
    (tmp_path / "kustomization.yaml").write_text("patches:\n  - path: p.yaml\n    target: {kind: Deployment}\n")
    with pytest.raises(KustomizeLiteError, match="only `patches"):
        render_lite(tmp_path)


def test_renderer_strategic_merge_semantics() -> None:
    base = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
                     "containers": [{"name": "a", "env": [{"name": "X", "value": "1"}], "args": ["p"]}],
                     "keep": 1, "drop": 2}}
    patch = {"spec": {"strategy": {"type": "Recreate"}, "drop": None,
                      "containers": [{"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "3"}],
                                      "args": ["q"]}, {"name": "b"}]}}
    assert strategic_merge(base, patch) == {"spec": {
        "strategy": {"type": "Recreate"}, "keep": 1,
        "containers": [{"name": "b"},
                       {"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "3"}],
                        "args": ["q"]}]}}
    with pytest.raises(KustomizeLiteError):
        strategic_merge(base, {"spec": {"$patch": "replace"}})


# --------------------------------------------------------------------------- compose


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_two_bots_on_postgresql_after_the_migration() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "db-upgrade", "bot"}
    bot, upgrade, postgres = services["bot"], services["db-upgrade"], services["postgres"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["command"] == ["sigsec-bot", "run"]
    assert upgrade["command"] == ["sigsec-bot", "db", "upgrade"]
    assert bot["depends_on"] == {"db-upgrade": {"condition": "service_completed_successfully"}}
    assert upgrade["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "healthcheck" in postgres and postgres["image"].startswith("postgres:")
    env = postgres["environment"]
    expected_url = (f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/"
                    f"{env['POSTGRES_DB']}")
    assert bot["environment"]["DATABASE_URL"] == upgrade["environment"]["DATABASE_URL"] == expected_url
    assert bot["env_file"] == "bot.env"  # tokens stay out of the compose file
    assert "deploy/bot.env" in (ROOT / ".gitignore").read_text().splitlines()
    example = (ROOT / "deploy" / "bot.env.example").read_text()
    assert "SLACK_BOT_TOKEN=xoxb-REPLACE-ME" in example and "USER_ID_SALT=REPLACE-ME" in example


def test_compose_bots_are_hardened_like_the_pods() -> None:
    services = _compose()["services"]
    for name in ("bot", "db-upgrade"):
        service = services[name]
        assert service["user"] == f"{UID}:{GID}"
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"]
        assert service["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in service["security_opt"]
    bot = services["bot"]
    # Published on loopback only; one host port per replica.
    assert all(port.startswith("127.0.0.1:") for port in bot["ports"])
    assert all(volume.endswith(":ro") for volume in bot["volumes"])
    assert bot["environment"]["KNOWLEDGE_DIR"] == "/etc/sigsec-bot/knowledge"
    assert "ports" not in services["postgres"]


def test_documented_ingress_publishes_only_slack_events_on_the_bot_service() -> None:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]
    ingresses = [b for b in blocks if isinstance(b, dict) and b.get("kind") == "Ingress"]
    assert len(ingresses) == 1
    ingress = ingresses[0]
    for version in KUBERNETES_VERSIONS:
        kubernetes_validate.validate(ingress, version, strict=True)
    paths = [path for rule in ingress["spec"]["rules"] for path in rule["http"]["paths"]]
    assert [(p["path"], p["pathType"]) for p in paths] == [("/slack/events", "Exact")]
    assert [p["backend"]["service"] for p in paths] == [{"name": "sigsec-bot", "port": {"name": "http"}}]
