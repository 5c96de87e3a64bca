"""Generate FAKE credentials of every kind `bot.safety.secrets` reports, pasted the way people paste them.

Each value is random but has the real format's shape (prefix, alphabet, length, structure), so it
exercises the detector exactly as a live one would, and none is a real key: nothing here is a
literal credential, everything is drawn from a seeded `random.Random` at run time.

    sample = make_credential("github_token", random.Random(7))
    message = embed(sample, random.Random(7))          # prose, code fence, YAML, JSON, shell ...
    # sample.secrets: substrings that must not survive redaction; sample.kind: the kind to report

`BUILDERS` maps each kind to its builder; `WRAPPERS` are the ways a snippet sits in a message.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass
from typing import Callable

__all__ = ["BUILDERS", "WRAPPERS", "FakeCredential", "embed", "make_credential", "fake_message"]

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
LOWER_ALNUM = string.ascii_lowercase + string.digits
B64 = string.ascii_letters + string.digits + "+/"
B64URL = string.ascii_letters + string.digits + "-_"
HEX = "0123456789abcdef"
PASSWORD_SYMBOLS = "!@#%^*_+=~"


@dataclass(frozen=True)
class FakeCredential:
    """One fake credential in its natural notation.

    `snippet` is what gets pasted (one or more lines); `secrets` are the substrings that must be
    gone after redaction; `multiline` says whether the snippet needs lines of its own.
    """

    kind: str
    snippet: str
    secrets: tuple[str, ...]
    multiline: bool = False


R = random.Random


def rand(rng: R, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def mixed(rng: R, alphabet: str, n: int) -> str:
    """Random string that has an upper-case letter, a lower-case letter and a digit."""
    assert n >= 3 and any(c.isupper() for c in alphabet) and any(c.islower() for c in alphabet) \
        and any(c.isdigit() for c in alphabet), "alphabet cannot satisfy mixed()"
    while True:
        value = rand(rng, alphabet, n)
        if (any(c.isupper() for c in value) and any(c.islower() for c in value)
                and any(c.isdigit() for c in value)):
            return value


def password(rng: R, n: int | None = None, symbols: str = PASSWORD_SYMBOLS) -> str:
    """A human-style password: letters, at least one digit and one symbol, never a placeholder shape."""
    n = n or rng.randint(10, 20)
    while True:
        body = [rng.choice(ALNUM) for _ in range(n - 2)] + [rng.choice(string.digits), rng.choice(symbols)]
        rng.shuffle(body)
        value = "".join(body)
        if value[0].isalnum() and any(c.isalpha() for c in value):
            return value


def b64_bytes(rng: R, n: int) -> str:
    return base64.b64encode(rng.randbytes(n)).decode()


def b64url_bytes(rng: R, n: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(n)).decode().rstrip("=")


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def word(rng: R) -> str:
    return rng.choice(["alice", "bob", "deploy", "ci-bot", "admin", "svc-backup", "jenkins", "ops"])


def host(rng: R) -> str:
    return rng.choice(["db.internal", "10.0.3.17", "pg.prod.example.com", "cluster0.ab1cd.mongodb.net",
                       "git.example.com", "registry.example.com", "redis-master.cache.svc"])


def chunks(value: str, width: int) -> list[str]:
    return [value[i:i + width] for i in range(0, len(value), width)]


def long_lines(lines: list[str]) -> tuple[str, ...]:
    return tuple(line for line in lines if len(line) >= 16)


# ---------------------------------------------------------------------------------------------
# Builders, one per kind
# ---------------------------------------------------------------------------------------------

def _pem(rng: R, label: str, nbytes: int, width: int = 64, *, cut: bool = False,
         headers: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    body = chunks(b64_bytes(rng, nbytes), width)
    if cut:
        body = body[: rng.randint(2, max(2, len(body) - 2))]
    lines = [f"-----BEGIN {label}-----", *headers, *body]
    if not cut:
        lines.append(f"-----END {label}-----")
    return "\n".join(lines), body


def b_private_key(rng: R) -> FakeCredential:
    label = rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "DSA PRIVATE KEY"])
    headers = ("Proc-Type: 4,ENCRYPTED", f"DEK-Info: AES-128-CBC,{rand(rng, HEX.upper(), 32)}", "") \
        if label == "RSA PRIVATE KEY" and rng.random() < 0.3 else ()
    text, body = _pem(rng, label, rng.choice([121, 600, 1190]), cut=rng.random() < 0.35, headers=headers)
    if rng.random() < 0.2:  # pasted as one line, newlines became spaces
        text = text.replace("\n", " ")
    return FakeCredential("private_key", text, long_lines(body), True)


def b_openssh_private_key(rng: R) -> FakeCredential:
    raw = b"openssh-key-v1\x00" + rng.randbytes(rng.choice([380, 1800]))
    body = chunks(base64.b64encode(raw).decode(), 70)
    cut = rng.random() < 0.3
    if cut:
        body = body[: max(2, len(body) // 2)]
    lines = ["-----BEGIN OPENSSH PRIVATE KEY-----", *body] + ([] if cut else ["-----END OPENSSH PRIVATE KEY-----"])
    return FakeCredential("openssh_private_key", "\n".join(lines), long_lines(body[1:] or body), True)


def b_pgp_private_key(rng: R) -> FakeCredential:
    body = chunks(b64_bytes(rng, rng.choice([900, 1500])), 64)
    checksum = "=" + rand(rng, B64, 4)
    head = ["-----BEGIN PGP PRIVATE KEY BLOCK-----"]
    if rng.random() < 0.5:
        head += ["Version: GnuPG v2", "Comment: fake key for tests"]
    lines = head + ["", *body, checksum, "-----END PGP PRIVATE KEY BLOCK-----"]
    return FakeCredential("pgp_private_key", "\n".join(lines), long_lines(body), True)


def b_putty_private_key(rng: R) -> FakeCredential:
    version = rng.choice([2, 3])
    public = chunks(b64_bytes(rng, 51), 64)
    private = chunks(b64_bytes(rng, rng.choice([48, 640])), 64)
    mac = rand(rng, HEX, 64 if version == 3 else 40)
    lines = [f"PuTTY-User-Key-File-{version}: ssh-ed25519", "Encryption: none",
             f"Comment: eddsa-key-2024{rng.randint(1000, 9999)}", f"Public-Lines: {len(public)}", *public]
    lines += [f"Private-Lines: {len(private)}", *private]
    cut = rng.random() < 0.25
    if not cut:
        lines.append(f"Private-MAC: {mac}")
    secrets = long_lines(private) + (() if cut else (mac,))
    return FakeCredential("putty_private_key", "\n".join(lines), secrets, True)


def b_gcp_service_account_key(rng: R) -> FakeCredential:
    body = chunks(b64_bytes(rng, 1190), 64)
    pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END PRIVATE KEY-----\n"
    project = rng.choice(["my-proj-123", "sigsec-dev", "prod-4411"])
    doc = {"type": "service_account", "project_id": project, "private_key_id": rand(rng, HEX, 40),
           "private_key": pem, "client_email": f"ci@{project}.iam.gserviceaccount.com",
           "client_id": rand(rng, string.digits, 21), "token_uri": "https://oauth2.googleapis.com/token"}
    text = json.dumps(doc, indent=2 if rng.random() < 0.6 else None)
    return FakeCredential("gcp_service_account_key", text, long_lines(body), True)


def _pem_b64(rng: R, label: str = "RSA PRIVATE KEY") -> tuple[str, list[str]]:
    pem, body = _pem(rng, label, 600)
    return base64.b64encode((pem + "\n").encode()).decode(), body


def b_base64_private_key(rng: R) -> FakeCredential:
    encoded, _ = _pem_b64(rng, rng.choice(["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY"]))
    crt = base64.b64encode(_pem(rng, "CERTIFICATE", 300)[0].encode()).decode()
    style = rng.randrange(3)
    if style == 0:
        text = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: web-tls\ntype: kubernetes.io/tls\ndata:\n"
                f"  tls.crt: {crt}\n  tls.key: {encoded}\n")
    elif style == 1:
        text = f"echo {encoded} | base64 -d > id_rsa"
    else:
        text = f'{{"data": {{"ssh-privatekey": "{encoded}"}}, "type": "kubernetes.io/ssh-auth"}}'
    return FakeCredential("base64_private_key", text, (encoded[14:], encoded[200:260]), style == 0)


def b_age_secret_key(rng: R) -> FakeCredential:
    key = "AGE-SECRET-KEY-1" + rand(rng, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)
    text = rng.choice([f"# created: 2024-05-01\n# public key: age1{rand(rng, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l', 58)}\n{key}",
                       f"SOPS_AGE_KEY={key}", f"my age key {key} does not decrypt"])
    return FakeCredential("age_secret_key", text, (key[16:],), "\n" in text)


def _kubeconfig(user: dict[str, str], rng: R, *, as_json: bool) -> str:
    ca = base64.b64encode(_pem(rng, "CERTIFICATE", 300)[0].encode()).decode()
    if as_json:
        doc = {"apiVersion": "v1", "kind": "Config", "clusters": [{"name": "prod", "cluster": {
            "server": "https://10.0.0.1:6443", "certificate-authority-data": ca}}],
            "users": [{"name": "admin", "user": user}], "current-context": "prod"}
        return json.dumps(doc, separators=(",", ":")) if rng.random() < 0.5 else json.dumps(doc, indent=2)
    user_yaml = "".join(f"    {k}: {v}\n" for k, v in user.items())
    return ("apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: " + ca +
            "\n    server: https://10.0.0.1:6443\n  name: prod\ncontexts:\n- context:\n    cluster: prod\n"
            "    user: admin\n  name: prod\ncurrent-context: prod\nusers:\n- name: admin\n  user:\n" + user_yaml)


def b_kubeconfig_client_key(rng: R) -> FakeCredential:
    if rng.random() < 0.7:
        key, _ = _pem_b64(rng, rng.choice(["RSA PRIVATE KEY", "EC PRIVATE KEY"]))
        secrets = (key[14:80], key[-60:-2])
    else:  # not a PEM underneath (or cut short): still the key field
        key = b64_bytes(rng, 120)
        secrets = (key,)
    cert = base64.b64encode(_pem(rng, "CERTIFICATE", 300)[0].encode()).decode()
    text = _kubeconfig({"client-certificate-data": cert, "client-key-data": key}, rng, as_json=rng.random() < 0.5)
    return FakeCredential("kubeconfig_client_key", text, secrets, True)


def b_kubeconfig_token(rng: R) -> FakeCredential:
    token = mixed(rng, ALNUM, rng.choice([40, 64]))
    field = rng.choice(["token", "token", "refresh-token"])
    user = {field: token} if field == "token" else {"auth-provider": "oidc", field: token}
    if field != "token":
        text = _kubeconfig({}, rng, as_json=False) + (
            "    auth-provider:\n      name: oidc\n      config:\n"
            f"        client-id: kubernetes\n        refresh-token: {token}\n")
    else:
        text = _kubeconfig(user, rng, as_json=rng.random() < 0.5)
    return FakeCredential("kubeconfig_token", text, (token,), True)


def b_kubeconfig_password(rng: R) -> FakeCredential:
    pw = password(rng)
    text = _kubeconfig({"username": "admin", "password": pw}, rng, as_json=rng.random() < 0.4)
    return FakeCredential("kubeconfig_password", text, (pw,), True)


def b_kubeadm_bootstrap_token(rng: R) -> FakeCredential:
    token = rand(rng, LOWER_ALNUM, 6) + "." + rand(rng, LOWER_ALNUM, 16)
    digest = rand(rng, HEX, 64)
    text = rng.choice([
        f"kubeadm join 10.0.0.10:6443 --token {token} --discovery-token-ca-cert-hash sha256:{digest}",
        f"bootstrapTokens:\n- groups:\n  - system:bootstrappers:kubeadm:default-node-token\n  token: {token}\n  ttl: 24h0m0s",
        f"kubeadm token create printed {token} but join fails",
    ])
    return FakeCredential("kubeadm_bootstrap_token", text, (token,), "\n" in text)


def b_kubeadm_certificate_key(rng: R) -> FakeCredential:
    key = rand(rng, HEX, 64)
    token = rand(rng, LOWER_ALNUM, 6) + "." + rand(rng, LOWER_ALNUM, 16)
    text = rng.choice([
        f"kubeadm join lb:6443 --token {token} --discovery-token-ca-cert-hash sha256:{rand(rng, HEX, 64)} "
        f"--control-plane --certificate-key {key}",
        f"apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\ncontrolPlane:\n  certificateKey: \"{key}\"",
    ])
    return FakeCredential("kubeadm_certificate_key", text, (key,), "\n" in text)


def b_k8s_secret_data(rng: R) -> FakeCredential:
    keys = rng.sample(["app.conf", "license", "smtp-relay", "config.ini", "settings.toml", "webhook-url"], 2)
    values = [b64_bytes(rng, rng.randint(12, 48)) for _ in keys]
    if rng.random() < 0.6:
        data = "".join(f"  {k}: {v}\n" for k, v in zip(keys, values))
        text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\n  namespace: prod\ntype: Opaque\ndata:\n{data}"
        if rng.random() < 0.5:  # kubectl get -o yaml puts kind after data
            text = f"apiVersion: v1\ndata:\n{data}kind: Secret\nmetadata:\n  name: app\ntype: Opaque\n"
    else:
        doc = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "app"}, "type": "Opaque",
               "data": dict(zip(keys, values))}
        text = json.dumps(doc, indent=4)
    return FakeCredential("k8s_secret_data", text, tuple(values), True)


def b_docker_config_auth(rng: R) -> FakeCredential:
    auth = base64.b64encode(f"{word(rng)}:{password(rng)}".encode()).decode()
    cfg = {"auths": {"registry.example.com": {"auth": auth}}}
    style = rng.randrange(3)
    if style == 0:
        text = json.dumps(cfg, indent=rng.choice([None, 2, "\t"]))
        secrets = (auth,)
    elif style == 1:
        blob = base64.b64encode(json.dumps(cfg).encode()).decode()
        text = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\n"
                f"data:\n  .dockerconfigjson: {blob}\n")
        secrets = (blob[12:],)
    else:
        token = mixed(rng, ALNUM, 48)
        text = json.dumps({"auths": {"registry.example.com": {}}, "credsStore": "",
                           "identitytoken": token}) if rng.random() < 0.3 else \
            json.dumps({"auths": {"registry.example.com": {"auth": auth}}}, indent=2)
        secrets = (token,) if "identitytoken" in text else (auth,)
    return FakeCredential("docker_config_auth", text, secrets, True)


def b_password(rng: R) -> FakeCredential:
    pw = password(rng)
    form = rng.choice([
        "password={v}", "DB_PASSWORD={v}", "export MYSQL_ROOT_PASSWORD={v}", '"password": "{v}"',
        "PGPASSWORD={v} psql -h db -U app", "auth:\n  rootPassword: {v}\n  username: app",
        "spring.datasource.password={v}", "my password: {v}", "env:\n  - name: DB_PASSWORD\n    value: \"{v}\"",
        "passwd: '{v}'", '{{"user": "app", "pwd": "{v}"}}', "redis:\n  passphrase: {v}",
        "<server>\n  <id>corp</id>\n  <username>ci</username>\n  <password>{v}</password>\n</server>",
        "machine github.example.com login ci password {v}",
        "the password is {v} but login fails", "ssh in with password {v} works",
    ])
    text = form.format(v=pw)
    return FakeCredential("password", text, (pw,), "\n" in text)


def b_secret(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM, rng.randint(24, 48))
    text = rng.choice(["SECRET_KEY={v}", "jwt_secret: {v}", '"webhook_secret": "{v}"', "SLACK_SIGNING_SECRET={v}",
                       "config:\n  secret: {v}", "rails SECRET_KEY_BASE={v}",
                       "resources:\n  - secrets\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: {v}",
                       ]).format(v=value)
    return FakeCredential("secret", text, (value,), "\n" in text)


def b_token(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM + "-_", rng.randint(28, 60))
    while value[0] in "-_":
        value = mixed(rng, ALNUM + "-_", len(value))
    text = rng.choice(["token: {v}", "ACCESS_TOKEN={v}", '"auth_token": "{v}"', "TWILIO_AUTH_TOKEN={h}",
                       "X-Auth-Token: {v}", "refresh_token={v}", "  bot_token: '{v}'"]).format(
        v=value, h=rand(rng, HEX, 32))
    secret = value if "{h}" not in text and "TWILIO" not in text else text.split("=", 1)[1]
    return FakeCredential("token", text, (secret,), False)


def b_api_key(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM, rng.randint(24, 40))
    text = rng.choice(["api_key={v}", "curl -H 'X-API-Key: {v}' https://api.example.com/v1/scan",
                       '"apiKey": "{v}"', "export API_KEY={v}", "apikey: {v}"]).format(v=value)
    return FakeCredential("api_key", text, (value,), False)


def b_access_key(rng: R) -> FakeCredential:
    value = "MK" + rand(rng, UPPER_ALNUM, 18)
    text = rng.choice(["MINIO_ACCESS_KEY={v}", 'accessKey: "{v}"', "access_key = {v}"]).format(v=value)
    return FakeCredential("access_key", text, (value,), False)


def b_client_secret(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM, rng.randint(32, 40))
    text = rng.choice(["client_secret={v}", "oidc:\n  clientID: kubernetes\n  clientSecret: {v}",
                       '"client_secret": "{v}"', "OAUTH_CLIENT_SECRET={v}"]).format(v=value)
    return FakeCredential("client_secret", text, (value,), "\n" in text)


def b_labelled_private_key(rng: R) -> FakeCredential:
    value = b64_bytes(rng, 32)
    text = rng.choice(["[Interface]\nAddress = 10.8.0.2/24\nPrivateKey = {v}\nDNS = 1.1.1.1",
                       'private_key: "{v}"', "WG_PRIVATE_KEY={v}"]).format(v=value)
    return FakeCredential("labelled_private_key", text, (value,), "\n" in text)


def b_auth_credential(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM, rng.randint(32, 48))
    text = rng.choice(["  auth: {v}", "AUTH={v}", '"auth": "{v}"']).format(v=value)
    return FakeCredential("auth_credential", text, (value,), False)


def b_npm_auth_token(rng: R) -> FakeCredential:
    token = mixed(rng, ALNUM, 40)
    auth = base64.b64encode(f"{word(rng)}:{password(rng)}".encode()).decode()
    text = rng.choice([
        f"registry=https://npm.example.com/\n//npm.example.com/:_authToken={token}",
        f"//npm.pkg.github.com/:_authToken={token}",
        f"_auth={auth}\nalways-auth=true",
        f"//registry.example.com/:_password={auth}",
    ])
    return FakeCredential("npm_auth_token", text, (token,) if token in text else (auth,), "\n" in text)


def b_connection_string_password(rng: R) -> FakeCredential:
    pw = password(rng, symbols="!@#%^*_+~")
    text = rng.choice([
        "Server=tcp:{h}.database.windows.net,1433;Initial Catalog=app;User ID=app;Password={v};Encrypt=True;",
        "Host={h};Port=5432;Database=app;Username=app;Password={v}",
        "Driver={{ODBC Driver 18 for SQL Server}};Server={h};Uid=sa;Pwd={v};",
        "Data Source={h};Initial Catalog=app;User Id=sa;Password={v};",
    ]).format(h=rng.choice(["sql-prod", "db01", "10.1.2.3"]), v=pw)
    return FakeCredential("connection_string_password", text, (pw,), False)


def b_azure_storage_account_key(rng: R) -> FakeCredential:
    key = b64_bytes(rng, 64)
    text = rng.choice([
        f"DefaultEndpointsProtocol=https;AccountName=acct{rng.randint(1, 999)};AccountKey={key};EndpointSuffix=core.windows.net",
        f'"accountKey": "{key}"',
    ])
    return FakeCredential("azure_storage_account_key", text, (key,), False)


def b_azure_shared_access_key(rng: R) -> FakeCredential:
    key = b64_bytes(rng, 32)
    text = (f"Endpoint=sb://ns-{rng.randint(1, 99)}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={key}")
    if rng.random() < 0.3:
        text += ";EntityPath=events"
    return FakeCredential("azure_shared_access_key", text, (key,), False)


def _aws_secret(rng: R) -> str:
    while True:
        value = mixed(rng, B64, 40)
        if value[0] not in "+/" and value[-1] not in "+/":
            return value


def _aws_id(rng: R) -> str:
    return rng.choice(["AKIA", "ASIA"]) + rand(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)


def b_aws_secret_access_key(rng: R) -> FakeCredential:
    secret = _aws_secret(rng)
    text = rng.choice([
        "[default]\naws_access_key_id = {i}\naws_secret_access_key = {s}",
        "AWS_SECRET_ACCESS_KEY={s}", '"SecretAccessKey": "{s}"', "access_key={s}",
        "key {i} secret {s}", "aws configure set aws_secret_access_key {s}",
    ]).format(i=_aws_id(rng), s=secret)
    return FakeCredential("aws_secret_access_key", text, (secret,), "\n" in text)


def b_aws_session_token(rng: R) -> FakeCredential:
    token = rng.choice(["IQoJb3JpZ2luX2Vj", "FwoGZXIvYXdzE"]) + b64_bytes(rng, rng.choice([240, 600]))
    text = rng.choice(["aws_session_token = {t}", '"SessionToken": "{t}"', "AWS_SESSION_TOKEN={t}",
                       "sts gave me {t} and it still says expired"]).format(t=token)
    return FakeCredential("aws_session_token", text, (token[12:],), False)


def b_datadog_api_key(rng: R) -> FakeCredential:
    key = rand(rng, HEX, 32)
    text = rng.choice(["DD_API_KEY={k}", "curl -H 'DD-API-KEY: {k}' https://api.datadoghq.com/api/v1/validate",
                       "datadog_api_key: \"{k}\""]).format(k=key)
    return FakeCredential("datadog_api_key", text, (key,), False)


def b_datadog_app_key(rng: R) -> FakeCredential:
    key = rand(rng, HEX, 40)
    text = rng.choice(["DD_APP_KEY={k}", "-H 'DD-APPLICATION-KEY: {k}'", "datadog_app_key = \"{k}\""]).format(k=key)
    return FakeCredential("datadog_app_key", text, (key,), False)


def b_high_entropy_secret(rng: R) -> FakeCredential:
    value = rng.choice([b64_bytes(rng, 32), rand(rng, HEX, 64), mixed(rng, ALNUM, 40)])
    text = rng.choice(["HMAC_KEY={v}", '"signature": "{v}"', "encryption:\n  key: {v}", "credentials: {v}",
                       "session_key={v}", "seed = \"{v}\""]).format(v=value)
    return FakeCredential("high_entropy_secret", text, (value,), "\n" in text)


def _url_password(rng: R) -> str:
    return password(rng, symbols="-._~!*")


def b_url_password(rng: R) -> FakeCredential:
    pw = _url_password(rng)
    text = rng.choice([
        "git clone https://{u}:{p}@git.example.com/platform/infra.git",
        "https://{u}:{p}@registry.example.com/v2/_catalog",
        "ftp://{u}:{p}@files.example.com/pub/",
        "remote: https://x-access-token:{p}@github.com/org/repo",
    ]).format(u=word(rng), p=pw)
    return FakeCredential("url_password", text, (pw,), False)


def b_database_url_password(rng: R) -> FakeCredential:
    pw = _url_password(rng)
    text = rng.choice([
        "postgres://{u}:{p}@{h}:5432/app", "postgresql+asyncpg://{u}:{p}@{h}/sigsec",
        "mysql://{u}:{p}@{h}:3306/app?ssl=true", "mongodb+srv://{u}:{p}@{h}/?retryWrites=true&w=majority",
        "redis://:{p}@{h}:6379/0", "amqp://{u}:{p}@{h}:5672/vhost", "DATABASE_URL=\"postgresql://{u}:{p}@{h}/db\"",
    ]).format(u=word(rng), p=pw, h=host(rng))
    return FakeCredential("database_url_password", text, (pw,), False)


def b_slack_webhook_url(rng: R) -> FakeCredential:
    path = f"T{rand(rng, UPPER_ALNUM, 10)}/B{rand(rng, UPPER_ALNUM, 10)}/{mixed(rng, ALNUM, 24)}"
    url = f"https://hooks.slack.com/services/{path}"
    text = rng.choice([f"curl -X POST -d '{{\"text\":\"hi\"}}' {url}", f"webhook_url: {url}", f"alertmanager posts to {url}"])
    return FakeCredential("slack_webhook_url", text, (path, path.rsplit("/", 1)[1]), False)


def b_azure_sas_token(rng: R) -> FakeCredential:
    sig = b64_bytes(rng, 32).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    text = rng.choice([
        "https://acct.blob.core.windows.net/backups/etcd.db?sv=2022-11-02&ss=b&srt=sco&sp=rl&se=2025-01-01T00:00:00Z"
        "&st=2024-01-01T00:00:00Z&spr=https&sig={s}",
        "SharedAccessSignature=sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacup&se=2030-01-01T00:00:00Z&sig={s}",
    ]).format(s=sig)
    return FakeCredential("azure_sas_token", text, (sig,), False)


def b_presigned_url_signature(rng: R) -> FakeCredential:
    sig = rand(rng, HEX, 64)
    text = rng.choice([
        "https://bucket.s3.amazonaws.com/dump.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIA"
        + rand(rng, UPPER_ALNUM, 16) + "%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z"
        "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={s}",
        "https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Expires=900&X-Goog-Signature={s}",
    ]).format(s=sig)
    return FakeCredential("presigned_url_signature", text, (sig,), False)


def b_cli_password(rng: R) -> FakeCredential:
    pw = password(rng, symbols="!@#%^*_+=~")
    text = rng.choice([
        "mysql -h db -u root -p{p} app", "mysqldump -u root -p'{p}' --all-databases > dump.sql",
        "helm repo add corp https://charts.example.com --username ci --password {p}",
        "sshpass -p '{p}' ssh ops@10.0.0.4", "openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:{p}",
        "psql --password={p}", "redis-cli -h redis-master -a {p} ping", "ldapsearch -x -D cn=admin -w {p} -b dc=ex",
        "cqlsh -u cassandra -p {p} 10.0.0.9",
    ]).format(p=pw)
    return FakeCredential("cli_password", text, (pw,), False)


def b_curl_basic_auth(rng: R) -> FakeCredential:
    pw = password(rng, symbols="!@#%^*_+=~")
    text = rng.choice(["curl -u {u}:{p} https://jenkins.example.com/api/json",
                       'curl -sk --user "{u}:{p}" https://10.0.0.1:6443/version',
                       "curl -u '{u}:{p}' -X POST https://artifactory.example.com/api"]).format(u=word(rng), p=pw)
    return FakeCredential("curl_basic_auth", text, (pw,), False)


def b_cli_token(rng: R) -> FakeCredential:
    tok = mixed(rng, ALNUM, rng.randint(32, 60))
    text = rng.choice(["kubectl --token={t} get pods -A", "kubectl --server https://api:6443 --token {t} auth can-i --list",
                       "argocd login cd.example.com --auth-token {t}", "helm list --kube-token={t}"]).format(t=tok)
    return FakeCredential("cli_token", text, (tok,), False)


def b_cli_secret(rng: R) -> FakeCredential:
    value = mixed(rng, ALNUM, rng.randint(28, 44))
    text = rng.choice(["oidc-login setup --oidc-client-secret={v}", "mc alias set s3 https://s3 KEY --secret-key {v}",
                       "scanner --api-key {v} --target cluster"]).format(v=value)
    return FakeCredential("cli_secret", text, (value,), False)


def b_kubectl_from_literal(rng: R) -> FakeCredential:
    pw = password(rng, symbols="!@#%^*_+=~")
    text = rng.choice([
        "kubectl create secret generic db --from-literal=username=app --from-literal=password={p}",
        "kubectl -n prod create secret generic api --from-literal=api-token='{p}'",
        "kubectl create secret generic x --from-literal='token={p}'",
    ]).format(p=pw)
    return FakeCredential("kubectl_from_literal", text, (pw,), False)


def b_docker_registry_password(rng: R) -> FakeCredential:
    pw = password(rng, symbols="!@#%^*_+=~")
    text = rng.choice([
        "kubectl create secret docker-registry regcred --docker-server=registry.example.com "
        "--docker-username=ci --docker-password={p} --docker-email=ci@example.com",
        "docker login -u ci -p {p} registry.example.com",
        "podman login --username ci --password '{p}' quay.io",
    ]).format(p=pw)
    return FakeCredential("docker_registry_password", text, (pw,), False)


def b_bearer_token(rng: R) -> FakeCredential:
    style = rng.randrange(3)
    if style == 0:  # letters only
        tok = rand(rng, string.ascii_letters, rng.randint(24, 40))
    else:
        tok = mixed(rng, ALNUM + "-._~", rng.randint(24, 60))
        while not tok[0].isalnum():
            tok = mixed(rng, ALNUM + "-._~", len(tok))
    text = rng.choice(['curl -H "Authorization: Bearer {t}" https://10.0.0.1:6443/api',
                       "Authorization: Bearer {t}", '"Authorization": "Token {t}"',
                       "the request has Bearer {t} in it" if style else "Authorization: bearer {t}"]).format(t=tok)
    return FakeCredential("bearer_token", text, (tok,), False)


def b_basic_auth_header(rng: R) -> FakeCredential:
    creds = base64.b64encode(f"{word(rng)}:{password(rng)}".encode()).decode()
    text = rng.choice(["curl -H 'Authorization: Basic {c}' https://x", "Authorization: Basic {c}"]).format(c=creds)
    return FakeCredential("basic_auth_header", text, (creds,), False)


def _slack(rng: R, prefix: str) -> str:
    digits = string.digits
    if prefix == "xoxb":
        return f"xoxb-{rand(rng, digits, 12)}-{rand(rng, digits, 13)}-{mixed(rng, ALNUM, 24)}"
    if prefix == "xoxp":
        return f"xoxp-{rand(rng, digits, 12)}-{rand(rng, digits, 12)}-{rand(rng, digits, 13)}-{rand(rng, HEX, 32)}"
    if prefix == "xapp":
        return f"xapp-1-A{rand(rng, UPPER_ALNUM, 10)}-{rand(rng, digits, 13)}-{rand(rng, HEX, 64)}"
    return f"{prefix}-{rand(rng, digits, 12)}-{mixed(rng, ALNUM, 30)}"


def _vendor(kind: str, make: Callable[[R], str], *forms: str) -> Callable[[R], FakeCredential]:
    forms = forms or ("{t}",)

    def build(rng: R) -> FakeCredential:
        token = make(rng)
        form = rng.choice(forms + ("export TOKEN={t}", "my key is {t} is that bad?", '"key": "{t}"'))
        return FakeCredential(kind, form.format(t=token), (token,), False)
    return build


def b_vault_token(rng: R) -> FakeCredential:
    if rng.random() < 0.75:
        token = rng.choice(["hvs.", "hvb."]) + mixed(rng, ALNUM + "_-", rng.choice([24, 90]))
        forms = ["{t}", "export TOKEN={t}", "my key is {t} is that bad?", '"key": "{t}"']
    else:  # legacy service token: only recognisable next to a vault / token word
        token = "s." + mixed(rng, ALNUM, 24)
        forms = []
    form = rng.choice(forms + ["VAULT_TOKEN={t} vault kv get secret/app", "-H 'X-Vault-Token: {t}'",
                               "vault login {t}"])
    return FakeCredential("vault_token", form.format(t=token), (token,), False)


def _jwt(rng: R) -> str:
    head = b64url_json({"alg": "RS256", "kid": rand(rng, B64URL, 43)})
    body = b64url_json({"aud": ["https://kubernetes.default.svc"], "exp": rng.randint(1_700_000_000, 1_900_000_000),
                        "iss": "https://kubernetes.default.svc.cluster.local",
                        "sub": f"system:serviceaccount:{rng.choice(['default', 'prod', 'ci'])}:{word(rng)}"})
    return f"{head}.{body}.{b64url_bytes(rng, 256)}"


def _jwe(rng: R) -> str:
    head = b64url_json({"alg": "RSA-OAEP-256", "enc": "A256GCM"})
    return ".".join([head, b64url_bytes(rng, 256), b64url_bytes(rng, 12), b64url_bytes(rng, rng.randint(40, 300)),
                     b64url_bytes(rng, 16)])


def _azure_client_secret(rng: R) -> str:
    alphabet = ALNUM + "_~.-"
    while True:
        value = rand(rng, ALNUM, 3) + rng.choice(string.digits) + "Q~" + rand(rng, alphabet, 34)
        if value[-1].isalnum():
            return value


def _password_hash(rng: R) -> str:
    crypt = "./" + ALNUM
    return rng.choice([
        f"$2y$10${rand(rng, crypt, 53)}", f"$apr1${rand(rng, crypt, 8)}${rand(rng, crypt, 22)}",
        f"$6${rand(rng, crypt, 16)}${rand(rng, crypt, 86)}",
    ])


BUILDERS: dict[str, Callable[[R], FakeCredential]] = {
    "private_key": b_private_key,
    "openssh_private_key": b_openssh_private_key,
    "pgp_private_key": b_pgp_private_key,
    "putty_private_key": b_putty_private_key,
    "gcp_service_account_key": b_gcp_service_account_key,
    "base64_private_key": b_base64_private_key,
    "age_secret_key": b_age_secret_key,
    "kubeconfig_client_key": b_kubeconfig_client_key,
    "kubeconfig_token": b_kubeconfig_token,
    "kubeconfig_password": b_kubeconfig_password,
    "kubeadm_bootstrap_token": b_kubeadm_bootstrap_token,
    "kubeadm_certificate_key": b_kubeadm_certificate_key,
    "k8s_secret_data": b_k8s_secret_data,
    "docker_config_auth": b_docker_config_auth,
    "password": b_password,
    "secret": b_secret,
    "token": b_token,
    "api_key": b_api_key,
    "access_key": b_access_key,
    "client_secret": b_client_secret,
    "labelled_private_key": b_labelled_private_key,
    "auth_credential": b_auth_credential,
    "npm_auth_token": b_npm_auth_token,
    "connection_string_password": b_connection_string_password,
    "azure_storage_account_key": b_azure_storage_account_key,
    "azure_shared_access_key": b_azure_shared_access_key,
    "aws_secret_access_key": b_aws_secret_access_key,
    "aws_session_token": b_aws_session_token,
    "datadog_api_key": b_datadog_api_key,
    "datadog_app_key": b_datadog_app_key,
    "high_entropy_secret": b_high_entropy_secret,
    "url_password": b_url_password,
    "database_url_password": b_database_url_password,
    "slack_webhook_url": b_slack_webhook_url,
    "azure_sas_token": b_azure_sas_token,
    "presigned_url_signature": b_presigned_url_signature,
    "cli_password": b_cli_password,
    "curl_basic_auth": b_curl_basic_auth,
    "cli_token": b_cli_token,
    "cli_secret": b_cli_secret,
    "kubectl_from_literal": b_kubectl_from_literal,
    "docker_registry_password": b_docker_registry_password,
    "bearer_token": b_bearer_token,
    "basic_auth_header": b_basic_auth_header,
    "slack_bot_token": _vendor("slack_bot_token", lambda r: _slack(r, "xoxb"), "SLACK_BOT_TOKEN={t}"),
    "slack_user_token": _vendor("slack_user_token", lambda r: _slack(r, "xoxp")),
    "slack_app_token": _vendor("slack_app_token", lambda r: _slack(r, "xapp"), "SLACK_APP_TOKEN={t}"),
    "slack_token": _vendor("slack_token", lambda r: _slack(r, r.choice(["xoxa", "xoxr", "xoxe.xoxp", "xoxs"]))),
    "github_token": _vendor("github_token", lambda r: f"gh{r.choice('pousr')}_{mixed(r, ALNUM, 36)}",
                            "git clone https://{t}@github.com/org/private.git", "GITHUB_TOKEN={t}"),
    "github_fine_grained_pat": _vendor("github_fine_grained_pat",
                                       lambda r: f"github_pat_{mixed(r, ALNUM, 22)}_{mixed(r, ALNUM, 59)}"),
    "gitlab_token": _vendor("gitlab_token", lambda r: r.choice(["glpat-", "glrt-", "gldt-"]) + mixed(r, ALNUM + "_-", 20),
                            "-H 'PRIVATE-TOKEN: {t}'"),
    "npm_token": _vendor("npm_token", lambda r: "npm_" + mixed(r, ALNUM, 36), "//registry.npmjs.org/:_authToken={t}"),
    "dockerhub_token": _vendor("dockerhub_token", lambda r: "dckr_pat_" + mixed(r, ALNUM + "_-", 27),
                               "docker login -u ci --password-stdin <<< {t}"),
    "vault_token": b_vault_token,
    "stripe_key": _vendor("stripe_key", lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_"]) + mixed(r, ALNUM, 24)
                          if r.random() < 0.8 else "whsec_" + mixed(r, ALNUM, 32), "STRIPE_SECRET_KEY={t}"),
    "google_api_key": _vendor("google_api_key", lambda r: "AIza" + mixed(r, ALNUM + "_-", 35),
                              "https://maps.googleapis.com/maps/api/geocode/json?key={t}"),
    "openai_api_key": _vendor("openai_api_key", lambda r: "sk-proj-" + mixed(r, ALNUM + "_-", r.choice([48, 120]))
                              if r.random() < 0.6 else f"sk-{mixed(r, ALNUM, 20)}T3BlbkFJ{mixed(r, ALNUM, 20)}",
                              "OPENAI_API_KEY={t}"),
    "anthropic_api_key": _vendor("anthropic_api_key", lambda r: "sk-ant-api03-" + mixed(r, ALNUM + "_-", 93) + "AA"),
    "aws_access_key_id": _vendor("aws_access_key_id", _aws_id, "aws_access_key_id = {t}"),
    "jwt": _vendor("jwt", _jwt, "Authorization: Bearer {t}", "token: {t}", "cat /var/run/secrets/kubernetes.io/serviceaccount/token\n{t}"),
    "jwe": _vendor("jwe", _jwe, "id_token={t}"),
    "twilio_api_key": _vendor("twilio_api_key", lambda r: "SK" + rand(r, HEX, 32), "TWILIO_API_KEY={t}"),
    "sendgrid_api_key": _vendor("sendgrid_api_key", lambda r: f"SG.{mixed(r, ALNUM + '_-', 22)}.{mixed(r, ALNUM + '_-', 43)}",
                                "SENDGRID_API_KEY={t}"),
    "huggingface_token": _vendor("huggingface_token", lambda r: "hf_" + _letters_with_upper(r, 34), "HF_TOKEN={t}"),
    "pypi_token": _vendor("pypi_token", lambda r: "pypi-AgEIcHlwaS5vcmc" + b64url_bytes(r, r.choice([60, 120])),
                          "[pypi]\nusername = __token__\npassword = {t}"),
    "azure_client_secret": _vendor("azure_client_secret", _azure_client_secret, "AZURE_CLIENT_SECRET={t}"),
    "password_hash": _vendor("password_hash", _password_hash, "admin:{t}", "root:{t}:19700:0:99999:7:::"),
    "google_oauth_token": _vendor("google_oauth_token", lambda r: "ya29." + mixed(r, B64URL, r.choice([120, 200]))
                                  if r.random() < 0.7 else "1//0" + mixed(r, B64URL, 60),
                                  '{{"access_token": "{t}", "expires_in": 3599, "token_type": "Bearer"}}'),
    "discord_bot_token": _vendor("discord_bot_token", lambda r: f"{r.choice('MNO')}{mixed(r, ALNUM, 23)}."
                                 f"{rand(r, B64URL, 6)}.{mixed(r, B64URL, 38)}", "DISCORD_TOKEN={t}"),
    "telegram_bot_token": _vendor("telegram_bot_token", lambda r: f"{r.randint(10**8, 10**10 - 1)}:AA"
                                  f"{_letters_with_upper(r, 3)}{mixed(r, B64URL, 30)}",
                                  "https://api.telegram.org/bot{t}/sendMessage"),
    "mailchimp_api_key": _vendor("mailchimp_api_key", lambda r: f"{rand(r, HEX, 32)}-us{r.randint(1, 21)}"),
    "square_token": _vendor("square_token", lambda r: r.choice([f"sq0atp-{mixed(r, B64URL, 22)}",
                                                                 f"sq0csp-{mixed(r, B64URL, 43)}",
                                                                 f"EAAA{mixed(r, B64URL, 60)}"])),
    "artifactory_token": _vendor("artifactory_token", lambda r: "AKCp8" + mixed(r, ALNUM, 68) if r.random() < 0.5
                                 else "cmVmdGtuOjAxOj" + b64_bytes(r, 45).rstrip("="),
                                 "curl -H 'X-JFrog-Art-Api: {t}' https://example.jfrog.io/artifactory/api/repositories"),
}


def _letters_with_upper(rng: R, n: int) -> str:
    while True:
        value = rand(rng, string.ascii_letters, n)
        if any(c.isupper() for c in value) and any(c.islower() for c in value):
            return value


def make_credential(kind: str, rng: R) -> FakeCredential:
    cred = BUILDERS[kind](rng)
    assert cred.kind == kind
    return cred


# ---------------------------------------------------------------------------------------------
# Messages around a snippet
# ---------------------------------------------------------------------------------------------

INTROS = ["hey all, getting 403 with this:", "can someone check my setup?", "why does this fail",
          "Quick q — our CI does", "after upgrading to 1.30 this stopped working:", "pls help, pasted config below",
          "Is it safe to keep this in the repo?", "kubelet logs show"]
OUTROS = ["any idea what's wrong?", "thanks in advance 🙏", "is this the right way to do it?",
          "it worked on 1.29", "where should this live instead?", "(namespace is prod)"]


def _prose(rng: R, snippet: str, multiline: bool) -> str:
    if multiline:
        return f"{rng.choice(INTROS)}\n{snippet}\n{rng.choice(OUTROS)}"
    return f"{rng.choice(INTROS)} {snippet} {rng.choice(OUTROS)}"


def _fence(rng: R, snippet: str, multiline: bool) -> str:
    lang = rng.choice(["", "yaml", "json", "bash", "shell", "ini", "text"])
    return f"{rng.choice(INTROS)}\n```{lang}\n{snippet}\n```\n{rng.choice(OUTROS)}"


def _inline_code(rng: R, snippet: str, multiline: bool) -> str:
    if multiline:
        return _fence(rng, snippet, multiline)
    return f"{rng.choice(INTROS)} `{snippet}` {rng.choice(OUTROS)}"


def _alone(rng: R, snippet: str, multiline: bool) -> str:
    return f"{snippet}\n\n{rng.choice(OUTROS)}"


def _sentence_end(rng: R, snippet: str, multiline: bool) -> str:
    if multiline:
        return _alone(rng, snippet, multiline)
    return f"{rng.choice(INTROS)} {snippet}{rng.choice(['.', '?', '!', ','])} {rng.choice(OUTROS)}"


def _quoted(rng: R, snippet: str, multiline: bool) -> str:
    if multiline:
        return _fence(rng, snippet, multiline)
    return f"{rng.choice(INTROS)}\n> {snippet}\n{rng.choice(OUTROS)}"


WRAPPERS: dict[str, Callable[[R, str, bool], str]] = {
    "prose": _prose, "fence": _fence, "inline_code": _inline_code, "alone": _alone,
    "sentence_end": _sentence_end, "quoted": _quoted,
}


def embed(cred: FakeCredential, rng: R, wrapper: str | None = None) -> str:
    name = wrapper or rng.choice(sorted(WRAPPERS))
    return WRAPPERS[name](rng, cred.snippet, cred.multiline or "\n" in cred.snippet)


def fake_message(kind: str, seed: int, wrapper: str | None = None) -> tuple[str, FakeCredential]:
    """A whole message holding one fake credential of `kind`, reproducible from `seed`."""
    rng = random.Random(f"{kind}:{seed}")
    cred = make_credential(kind, rng)
    return embed(cred, rng, wrapper), cred
