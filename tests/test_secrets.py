"""Tests for bot.safety.secrets: every credential kind is redacted, ordinary text is left alone.

The credentials are FAKE and generated at run time (tests/support/fake_credentials.py): random
values in each real format's shape, pasted the ways people paste them.
"""

from __future__ import annotations

import dataclasses
import random
import re
import statistics
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.safety.secrets import KINDS, Redaction, redact_secrets, shannon_entropy
from tests.support.fake_credentials import (
    BUILDERS,
    WRAPPERS,
    b64_bytes,
    embed,
    fake_message,
    make_credential,
    mixed,
    password,
)

ROOT = Path(__file__).resolve().parents[1]
KIND_NAMES = sorted(KINDS)


def assert_redacted(message: str, secrets: tuple[str, ...], kind: str) -> Redaction:
    result = redact_secrets(message)
    for secret in secrets:
        assert secret not in result.text, f"{kind}: {secret[:24]}... survived in {result.text[:400]!r}"
    assert kind in result.kinds, f"{kind} not reported: {result.kinds} for {message[:300]!r}"
    assert f"[redacted {kind}]" in result.text
    return result


# ---------------------------------------------------------------------------------------------
# API and coverage of the generator
# ---------------------------------------------------------------------------------------------

def test_api_is_a_frozen_redaction_with_sorted_kinds() -> None:
    result = redact_secrets("hello")
    assert result == Redaction(text="hello", kinds=())
    assert dataclasses.is_dataclass(Redaction)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    pw, tok = password(random.Random(1)), mixed(random.Random(2), "abcdefXYZ0123456789", 40)
    result = redact_secrets(f"token={tok} and password={pw}")
    assert result.kinds == ("password", "token")
    assert result.text == "token=[redacted token] and password=[redacted password]"


def test_at_least_40_kinds_and_the_generator_covers_every_one() -> None:
    assert len(KINDS) >= 40
    assert set(BUILDERS) == set(KINDS)
    rng = random.Random(0)
    for kind in KINDS:
        cred = make_credential(kind, rng)
        assert cred.kind == kind and cred.secrets and all(len(s) >= 6 for s in cred.secrets)


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_each_kind_in_every_wrapper(kind: str) -> None:
    for wrapper in sorted(WRAPPERS):
        for seed in range(4):
            message, cred = fake_message(kind, seed, wrapper)
            assert_redacted(message, cred.secrets, kind)


# ---------------------------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------------------------

@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KIND_NAMES), seed=st.integers(0, 2**32 - 1), wrapper=st.sampled_from(sorted(WRAPPERS)))
def test_no_generated_secret_survives_and_its_kind_is_reported(kind: str, seed: int, wrapper: str) -> None:
    message, cred = fake_message(kind, seed, wrapper)
    result = assert_redacted(message, cred.secrets, kind)
    assert redact_secrets(result.text).text == result.text  # idempotent: markers are never re-redacted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(KIND_NAMES), min_size=2, max_size=5), seed=st.integers(0, 2**32 - 1),
       separator=st.sampled_from(["\n\n", "\n", " ", "  and "]))
def test_several_credentials_in_one_message(kinds: list[str], seed: int, separator: str) -> None:
    rng = random.Random(seed)
    creds = [make_credential(kind, rng) for kind in kinds]
    message = separator.join(embed(cred, rng) for cred in creds)
    result = redact_secrets(message)
    for cred in creds:
        for secret in cred.secrets:
            assert secret not in result.text, (cred.kind, secret[:24])
    assert redact_secrets(result.text).text == result.text


_ANY_TEXT = st.text(max_size=800)
_SECRETISH_TEXT = st.lists(
    st.sampled_from(["password", "token", "secret", "key", "auth", "=", ":", " ", "\n", '"', "'", "`", "\\n",
                     "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "eyJ", ".", "https://", "@",
                     "a:b", "xoxb-", "ghp_", "AKIA", "sk-", "LS0tLS1CRUdJTi", "--password ", "-p", "curl -u ",
                     "kind: Secret", "data:", "  ", "Bearer ", "Authorization: ", "sig=", "&", ";", "Zx9", "/+",
                     "[redacted token]", "{{ .Values.x }}", "PuTTY-User-Key-File-3: ", "Private-MAC: "]),
    max_size=120).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.one_of(_ANY_TEXT, _SECRETISH_TEXT))
def test_never_raises_and_is_idempotent(text: str) -> None:
    result = redact_secrets(text)
    assert result.kinds == tuple(sorted(set(result.kinds)))
    assert set(result.kinds) <= set(KINDS)
    again = redact_secrets(result.text)
    assert again.text == result.text and again.kinds == ()


# ---------------------------------------------------------------------------------------------
# The shapes named in issue 10 (blind corpus + probes)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "needle"), [
    ("aws_secret_access_key", "access_key="),
    ("azure_storage_account_key", "AccountKey="),
    ("docker_config_auth", '"auth"'),
    ("slack_webhook_url", "hooks.slack.com"),
    ("npm_auth_token", "_auth"),
    ("cli_password", "mysql"),
    ("curl_basic_auth", "curl"),
    ("pgp_private_key", "PGP PRIVATE KEY"),
    ("kubeconfig_client_key", "client-key-data"),
    ("stripe_key", "sk_live_"),
    ("gcp_service_account_key", "\\n"),
    ("jwe", "eyJ"),
    ("bearer_token", "Bearer"),
    ("putty_private_key", "PuTTY-User-Key-File"),
])
def test_issue_shapes(kind: str, needle: str) -> None:
    found = 0
    for seed in range(200):
        message, cred = fake_message(kind, seed)
        if needle in message:
            assert_redacted(message, cred.secrets, kind)
            found += 1
    assert found >= 3, f"generator never produced {needle!r} for {kind}"


def test_labels_stay_and_only_values_go() -> None:
    rng = random.Random(5)
    pw = password(rng)
    key = b64_bytes(rng, 64)
    assert redact_secrets(f"mysql -u root -p{pw} app").text == "mysql -u root -p[redacted cli_password] app"
    assert redact_secrets(f"AccountName=a;AccountKey={key};EndpointSuffix=core.windows.net").text == \
        "AccountName=a;AccountKey=[redacted azure_storage_account_key];EndpointSuffix=core.windows.net"
    assert redact_secrets(f"curl -u admin:{pw} https://x").text == "curl -u admin:[redacted curl_basic_auth] https://x"
    assert redact_secrets(f"postgres://bot:{pw}@db:5432/x").text == \
        "postgres://bot:[redacted database_url_password]@db:5432/x"


def test_a_real_value_that_starts_like_a_placeholder_is_redacted() -> None:
    # Found by the property test above: a random password that happened to start with "my-".
    result = redact_secrets("remote: https://x-access-token:my-mvV6oN1@github.com/org/repo")
    assert "mvV6oN1" not in result.text and result.kinds == ("url_password",)
    assert redact_secrets("git clone https://admin:my-mvV6oN1@git.example.com/infra.git").text == \
        "git clone https://admin:[redacted url_password]@git.example.com/infra.git"
    assert "yourPass9" not in redact_secrets("password: yourPass9").text
    for placeholder in ("password: your-password-here", "password: my_password", "token: enterYourTokenHere"):
        assert redact_secrets(placeholder).text == placeholder


def test_letters_only_bearer_token() -> None:
    rng = random.Random(3)
    token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(32))
    assert redact_secrets(f"curl -H 'Authorization: Bearer {token}' https://api").kinds == ("bearer_token",)
    assert token not in redact_secrets(f"the header was Bearer {token} there").text


def test_cut_off_private_key_block_keeps_the_question() -> None:
    body = "\n".join(b64_bytes(random.Random(9), 48) for _ in range(5))
    text = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n\nwhy does ssh reject this key?"
    result = redact_secrets(text)
    assert result.text == "[redacted private_key]\n\nwhy does ssh reject this key?"


def test_json_escaped_pem_in_a_one_line_service_account() -> None:
    body = "\\n".join(b64_bytes(random.Random(4), 48) for _ in range(6))
    text = ('{"type": "service_account", "private_key_id": "abc", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
            + body + '\\n-----END PRIVATE KEY-----\\n", "client_email": "ci@p.iam.gserviceaccount.com"}')
    result = redact_secrets(text)
    assert result.kinds == ("gcp_service_account_key",)
    assert '"private_key": "[redacted gcp_service_account_key]\\n", "client_email"' in result.text


def test_a_client_certificate_is_not_a_secret_but_the_key_is() -> None:
    rng = random.Random(8)
    cert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t" + b64_bytes(rng, 300)
    key = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ" + b64_bytes(rng, 300)
    text = f"users:\n- name: a\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n"
    result = redact_secrets(text)
    assert cert in result.text and key not in result.text
    assert result.kinds == ("kubeconfig_client_key",)


def test_one_line_encrypted_key_cut_off() -> None:
    rng = random.Random(12)
    chunks = [b64_bytes(rng, 48) for _ in range(4)]
    text = ("-----BEGIN RSA PRIVATE KEY----- Proc-Type: 4,ENCRYPTED DEK-Info: AES-128-CBC,6808B43B798405F07294D1167F4FA20D  "
            + " ".join(chunks) + " why does this fail")
    result = redact_secrets(text)
    assert result.text == "[redacted private_key] why does this fail"


def test_a_rejected_value_does_not_hide_the_next_label() -> None:
    rng = random.Random(13)
    pw, tok = password(rng), mixed(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 24)
    assert pw not in redact_secrets(f"--password --password {pw}").text
    assert tok not in redact_secrets(f"Authorization: Authorization: {tok}").text
    env = f"env:\n  - name: DB_PASSWORD\n    value: \"{pw}\"\n"
    assert pw not in redact_secrets(env + f"and later accessKey: \"{tok}\"").text


def test_json_escaped_lines_are_lines() -> None:
    rng = random.Random(14)
    token, pw = mixed(rng, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 40), password(rng)
    text = ('{"kubeconfig": "apiVersion: v1\\nkind: Config\\nusers:\\n- name: a\\n  user:\\n    token: '
            + token + '\\n", "env": "USER=app\\npassword=' + pw + '\\nMODE=x"}')
    result = redact_secrets(text)
    assert token not in result.text and pw not in result.text
    assert "kubeconfig_token" in result.kinds  # the escaped lines were read as a kubeconfig


def test_fail_closed_past_the_label_budget() -> None:
    """A message of hundreds of decoy labels stays cheap; past the budget values are redacted unjudged."""
    text = "key=abc " * 300 + "password=hunter2"
    result = redact_secrets(text)
    assert "hunter2" not in result.text


# ---------------------------------------------------------------------------------------------
# No false alarms
# ---------------------------------------------------------------------------------------------

_HEX64 = "4f1e2d3c5b6a7980" * 4
_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUMvakNDQWVhZ0F3SUJBZ0lCQURBTkJna3Foa2lHOXcwQkFRc0ZBREFWTVJNd0VRWURWUVFERXdwcmRXSmwKY201bGRHVnpNQjRYRFRJME1ERXdNVEF3TURBd01Gb1hEVE0wTURFd01UQXdNREF3TUZvd0ZURVRNQkVHQTFVRQ=="

UNTOUCHED = [
    # prose with credential words
    "how do I rotate the password",
    "what's the password policy for service accounts?",
    "password: policy?",
    "token: rotation question",
    "the secret: what is it",
    "Secret: none of the docs explain this",
    "our password rotation is every 90 days, is that enough for the etcd encryption key?",
    "do bearer tokens expire? Authorization: Bearer <token>",
    "slack tokens start with xoxb- right? and github ones with ghp_",
    "AKIA keys are long-lived, ASIA are temporary",
    "is basic auth (user:pass) still supported by the apiserver?",
    "mysql -h db -u root -p asks me for the password every time",
    "docker run -u 1000:1000 --rm -p 8080:80 nginx",
    "ssh -p 2222 admin@bastion",
    "the password is wrong and the token is expired after 1h",
    "the password is 12 characters; api key is base64-encoded; the secret is stored in Vault",
    "password was rotated on 2024-01-01, the token was issued by Dex v2.39.1",
    "login with password authentication disabled, using token auth instead",
    # digests, ids, versions
    f"image: registry.k8s.io/kube-apiserver@sha256:{_HEX64}",
    f"docker://nginx:1.25.3@sha256:{_HEX64}",
    "fixed upstream in commit 4f1e2d3c5b6a7980f1e2d3c5b6a7980f1e2d3c5b, cherry-picked to release-1.30",
    "uid: 0b6f3c1e-2f7a-4c1d-9e8b-7a6d5c4b3a21\nresourceVersion: \"812734691\"\ngeneration: 4",
    "is CVE-2024-3177 fixed in 1.29.4? GHSA-pxhw-596r-rwq5 says so",
    f"kubeadm join 10.0.0.1:6443 --token <token> --discovery-token-ca-cert-hash sha256:{_HEX64}",
    # CA bundles and certificates
    f"apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: {_CA}\n"
    "    server: https://10.0.0.1:6443\n  name: prod\nusers:\n- name: oidc\n  user:\n    exec:\n"
    "      apiVersion: client.authentication.k8s.io/v1\n      command: kubectl\n      args: [oidc-login, get-token]\n",
    f'{{"kind":"Config","clusters":[{{"cluster":{{"certificate-authority-data":"{_CA}"}}}}]}}',
    f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-root-ca.crt\ndata:\n  ca.crt: |\n"
    "    -----BEGIN CERTIFICATE-----\n    MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n"
    "    -----END CERTIFICATE-----\n",
    f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  ca.crt: {_CA}\n  tls.crt: {_CA}\n",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkZ6v0Q2Rj9yX3c8cUuTq5dF1oYp4wH7bJ2sK9mN0aP ops@laptop",
    "--service-account-key-file=/etc/kubernetes/pki/sa.pub --tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
    "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
    # Kubernetes object names and references
    "existingSecret: db-credentials",
    "tls:\n- hosts: [a.example.com]\n  secretName: web-tls",
    "env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db-secret\n      key: password",
    "serviceAccountName: build-bot\nautomountServiceAccountToken: false\nexpirationSeconds: 3600",
    "kubectl get secret build-bot-token-x2x9z -n ci -o yaml",
    "kubectl create secret generic app --from-file=config.json\n"
    "kubectl create configmap flags --from-literal=mode=debug",
    "pod coredns-7db6d8ff4d-x2x9z on ip-10-0-1-23.ec2.internal is CrashLoopBackOff",
    "key: app.kubernetes.io/name\noperator: In\nvalues: [web]",
    # placeholders and references
    "password: <redacted>",
    "password: [REDACTED]",
    "password=",
    "password = true",
    'client_secret: ""',
    "client_secret: ${CLIENT_SECRET}",
    "token: {{ .Values.token }}",
    "password: ****",
    "password=changeme",
    "kubectl --token=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token) get pods",
    'password = os.environ["DB_PASSWORD"]',
    "token = settings.SLACK_BOT_TOKEN",
    "https://user@example.com/no-password",
    "git clone git@github.com:org/repo.git",
    "base64 is not encryption: c2VjcmV0IHZhbHVlIGhlcmUgaXMgbm90IGEgc2VjcmV0",
    "data:\n  config.json: eyJhdXRocyI6e319",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_untouched(text: str) -> None:
    result = redact_secrets(text)
    assert result.text == text, result.text
    assert result.kinds == ()


def _corpus_texts() -> list[tuple[str, str]]:
    paths = sorted((ROOT / "benchmarks" / "data").glob("*.yaml"))
    shared = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"
    if shared.exists():
        paths.append(shared)
    out = []
    for path in paths:
        for item in yaml.safe_load(path.read_text()) or []:
            if isinstance(item, dict) and isinstance(item.get("q") or item.get("text"), str):
                out.append((path.name, item.get("q") or item.get("text")))
    return out


def test_question_corpora_stay_at_least_99_percent_unchanged() -> None:
    texts = _corpus_texts()
    if not texts:
        pytest.skip("no question corpora beside the repo")
    changed = [(name, text) for name, text in texts if redact_secrets(text).text != text]
    assert 1 - len(changed) / len(texts) >= 0.99, changed


# ---------------------------------------------------------------------------------------------
# Bounded cost (the benchmark has the real numbers; this only catches a catastrophic regression)
# ---------------------------------------------------------------------------------------------

def _fill(unit: str, n: int = 4000) -> str:
    return (unit * (n // len(unit) + 1))[:n]


@pytest.mark.parametrize("text", [
    "=" * 4000, ":" * 4000, _fill("Ab1/+x9Z"), _fill("\"a\":\"'b'=\""), _fill("password="), _fill("token: "),
    _fill("key="), _fill("-----BEGIN PRIVATE KEY-----\n"), _fill("eyJa."), "https://a:" + "b" * 3989 + "@",
    "kubectl create secret " + _fill("--from-literal=a=", 3978), "curl " + _fill("-u a:b ", 3995),
    "kind: Secret\ndata:\n" + _fill("  k: v\n", 3981), _fill('{"name":"x_password","value":'),
    _fill("password=\"x' token: 'y\" Bearer z --token=w -pq "), _fill("password is Ab1cdef "),
    _fill("<password>", 2000) + "<password>" + "v" * 1990, "redis-cli " + _fill("-a x ", 3990),
    "git clone https://a:my-" + "a" * 250 + "1@x.example/r", "password: your" + "a" * 3900 + "!",
    "password is 1" + "x" * 38 + "!", "password is 1" + "x" * 3980 + "!", _fill("password is 1x.x "),
], ids=lambda t: repr(t[:18]))
def test_adversarial_input_is_fast(text: str) -> None:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        redact_secrets(text)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.05  # ~1-2 ms here; 25x headroom for a slow CI box


def test_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    assert shannon_entropy(mixed(random.Random(1), alphabet, 64)) > 4.5
    assert re.fullmatch(r"\[redacted [a-z0-9_]+\]", redact_secrets("password=hunter22").text.split("=", 1)[1])


def test_bound_input_then_redact_still_catches_everything() -> None:
    bounds = pytest.importorskip("bot.safety.bounds")
    bound_input = getattr(bounds, "bound_input", None)
    if bound_input is None:
        pytest.skip("bound_input not there")
    for kind in KIND_NAMES:
        for seed in range(3):
            message, cred = fake_message(kind, seed)
            bounded = bound_input(message).text
            if bounded != message and any(s not in bounded for s in cred.secrets):
                continue  # the bounding itself reshaped the secret (e.g. collapsed its spacing)
            assert_redacted(bounded, cred.secrets, kind)


@pytest.mark.parametrize("text,secret", [
    ("DB_PASSWORD=$ecr3tPa55", "$ecr3tPa55"),
    ("password: #Xy7kLm9pQ2", "#Xy7kLm9pQ2"),
    ("--password '#Xy7kLm9pQ2'", "#Xy7kLm9pQ2"),
    ("curl -u admin:#Xy7kLm9pQ2 https://x.example", "#Xy7kLm9pQ2"),
    ("postgres://admin:$Xy7kLm9pQ2@db/app", "$Xy7kLm9pQ2"),
    ("kind: Secret\nstringData:\n  password: $ecr3tPa55", "$ecr3tPa55"),
    ("password=%Xy7kLm9pQ2", "%Xy7kLm9pQ2"),
])
def test_a_value_starting_with_a_symbol_is_still_a_secret(text: str, secret: str) -> None:
    """A leading $, #, % or * once marked any value a placeholder, so such passwords were kept verbatim."""
    assert secret not in redact_secrets(text).text


@pytest.mark.parametrize("text", [
    "DB_PASSWORD=${DB_PASSWORD}", "password: $DB_PASSWORD", "password=$password", "password: $(cat /run/pw)",
    "password: %s", "password=%(password)s", "password: %PASSWORD%", "password: (none)", "password: ***",
    "password: ***redacted***", "password: #", "postgres://admin:${DB_PASSWORD}@db/app", "password: <token>",
])
def test_variables_and_template_placeholders_stay(text: str) -> None:
    assert redact_secrets(text).text == text


@pytest.mark.parametrize("text,secret", [
    ("password=Tr0ub&amp;4dor3x", "4dor3x"), ("password: ab&gt;Cd3fGh9", "Cd3fGh9"),
    ("token: abc&amp;DEF123ghiJKL456mno", "DEF123ghiJKL456mno"), ("--password Tr0ub&amp;4dor3x", "4dor3x"),
])
def test_slack_escapes_inside_a_value_do_not_cut_it(text: str, secret: str) -> None:
    """Slack delivers & < > as &amp; &lt; &gt;; a value was cut at the first '&' and its tail kept."""
    assert secret not in redact_secrets(text).text


def test_an_escaped_ampersand_before_a_parameter_still_ends_the_value() -> None:
    redacted = redact_secrets("https://x.example/cb?password=Abc123xyz9&amp;user=bob").text
    assert "Abc123xyz9" not in redacted and redacted.endswith("&amp;user=bob")
