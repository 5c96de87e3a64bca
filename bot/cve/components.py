"""Component names as people say them, mapped to the package names used in the records.

The Kubernetes OSV records name packages by Go module (`k8s.io/kubelet`, `k8s.io/apiserver`,
`k8s.io/kubernetes`, `github.com/kubernetes-csi/csi-proxy`...). People say "kubelet", "the API server",
"kube-apiserver", "KCM", "nginx ingress". `resolve` maps the second onto the first.

Core components share the Kubernetes release version (a 1.29.3 cluster runs kubelet 1.29.3, kube-proxy
1.29.3...), and `k8s.io/kubernetes` in a record stands for all of them. Other projects (ingress-nginx,
CSI drivers, csi-proxy) have versions of their own: a cluster version says nothing about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Component", "COMPONENTS", "UMBRELLA", "resolve", "display_name", "is_core_package", "package_matches"]

UMBRELLA = "k8s.io/kubernetes"


@dataclass(frozen=True)
class Component:
    name: str  # how answers name it
    packages: tuple[str, ...]  # record package names it covers
    aliases: tuple[str, ...]  # ways people say it (normalised: lower case, single spaces)
    core: bool  # versioned with Kubernetes releases


COMPONENTS: tuple[Component, ...] = (
    Component("kubelet", ("k8s.io/kubelet",), ("kubelet", "kubelets", "kube let", "node agent"), True),
    Component(
        "kube-apiserver",
        ("k8s.io/apiserver", "k8s.io/kube-apiserver"),
        ("kube-apiserver", "kube apiserver", "apiserver", "api server", "api-server", "kubeapiserver",
         "the api server", "k8s api server", "kubernetes api server"),
        True,
    ),
    Component("kube-proxy", ("k8s.io/kube-proxy",), ("kube-proxy", "kube proxy", "kubeproxy"), True),
    Component("kubectl", ("k8s.io/kubectl",), ("kubectl", "kube ctl", "kubecontrol", "kube control", "kubectl cli"), True),
    Component(
        "kube-controller-manager",
        ("k8s.io/controller-manager", "k8s.io/kube-controller-manager"),
        ("kube-controller-manager", "kube controller manager", "controller-manager", "controller manager",
         "controllermanager", "kcm"),
        True,
    ),
    Component(
        "kube-scheduler",
        ("k8s.io/kube-scheduler", "k8s.io/scheduler"),
        ("kube-scheduler", "kube scheduler", "scheduler"),
        True,
    ),
    Component("client-go", ("k8s.io/client-go",), ("client-go", "client go", "clientgo", "go client"), True),
    Component(
        "kubernetes",
        (UMBRELLA,),
        ("kubernetes", "k8s", "kube", "cluster", "control plane", "control-plane"),
        True,
    ),
    Component(
        "ingress-nginx",
        ("k8s.io/ingress-nginx",),
        ("ingress-nginx", "ingress nginx", "nginx ingress", "nginx-ingress", "ingress-nginx controller",
         "nginx ingress controller", "ingress nginx controller", "ingressnginx"),
        False,
    ),
    Component(
        "csi-proxy",
        ("github.com/kubernetes-csi/csi-proxy",),
        ("csi-proxy", "csi proxy", "csiproxy", "windows csi proxy"),
        False,
    ),
    Component(
        "secrets-store-csi-driver",
        ("sigs.k8s.io/secrets-store-csi-driver",),
        ("secrets-store-csi-driver", "secrets store csi driver", "secret store csi driver", "secrets-store csi driver",
         "secrets store csi"),
        False,
    ),
    Component(
        "azurefile-csi-driver",
        ("sigs.k8s.io/azurefile-csi-driver",),
        ("azurefile-csi-driver", "azurefile csi driver", "azure file csi driver", "azure file csi", "azurefile"),
        False,
    ),
)

_BY_ALIAS: dict[str, Component] = {}
_BY_PACKAGE: dict[str, Component] = {}
for _c in COMPONENTS:
    for _a in _c.aliases + (_c.name,):
        _BY_ALIAS[_a] = _c
    for _p in _c.packages:
        _BY_PACKAGE[_p] = _c
        _BY_ALIAS[_p] = _c

_SPACE_RE = re.compile(r"[\s_]+")


def _normalise(text: str) -> str:
    return _SPACE_RE.sub(" ", text.strip().lower()).strip(" .,;:!?`'\"")


def resolve(text: str | None) -> Component | None:
    """The component a person means, or None when the name is unknown."""
    if not text:
        return None
    key = _normalise(text)
    if key in _BY_ALIAS:
        return _BY_ALIAS[key]
    if key.endswith("s") and key[:-1] in _BY_ALIAS:  # "kubelets", "apiservers"
        return _BY_ALIAS[key[:-1]]
    if "/" in key:  # a Go module path we do not list: use its last element
        tail = key.rsplit("/", 1)[1]
        return _BY_ALIAS.get(tail)
    return None


def display_name(package: str) -> str:
    """A record package name as answers show it (`k8s.io/apiserver` -> `kube-apiserver`)."""
    comp = _BY_PACKAGE.get(package)
    if comp is not None:
        return comp.name
    return package.rsplit("/", 1)[-1] or package


def is_core_package(package: str) -> bool:
    """Versioned with Kubernetes releases? Unknown `k8s.io/...` modules are assumed to be."""
    comp = _BY_PACKAGE.get(package)
    if comp is not None:
        return comp.core
    return package.startswith("k8s.io/")


def package_matches(package: str, component: Component) -> bool:
    """Does a record package concern this component? `k8s.io/kubernetes` covers every core component,
    and asking about "kubernetes" covers every core package."""
    if package in component.packages:
        return True
    if component.core and package == UMBRELLA:
        return True
    if component.packages == (UMBRELLA,) and is_core_package(package):
        return True
    comp = _BY_PACKAGE.get(package)
    return comp is not None and comp is component
