"""Spotting a report of a new, undisclosed vulnerability, so that it never gets a public answer.

Two layers. `assess_disclosure` is a set of explainable, linear-time rules: someone holding a
flaw ("found", "can", a PoC) plus a concrete flaw, raised by undisclosed markers and reporting
intent, damped by known CVE ids, scanner output, hardening questions and hypotheticals. Rules alone
miss reports phrased as plain bug descriptions, so `DisclosureModel`, a small logistic regression
over the rules' signals and the message's words and word pairs, makes the decision.

The model is not trained at run time: `scripts/train_disclosure.py` trains it deterministically from
the labelled messages in `data/disclosure-train-*.yaml` and writes `data/disclosure-model.json`
(weights, bias, thresholds and a digest of the training files), which `PrivateReportCheck.load`
reads. A test rebuilds the file from the training data, so the two cannot drift apart. The blind
sets in `tests/data/` and the real corpora in `benchmarks/data/` are never trained on.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.text import fold

DATA_DIR = Path(__file__).resolve().parent / "data"
TRAINING_FILES = sorted(DATA_DIR.glob("disclosure-train-*.yaml"))
MODEL_FILE = DATA_DIR / "disclosure-model.json"  # written by scripts/train_disclosure.py
# How the shipped model is trained and judged; recorded in MODEL_FILE. Chosen by cross-validation on the
# training files and the real-question corpus's `tune` half only (see docs/matching.md).
TRAINING = {"epochs": 40, "rate": 0.2, "l2": 1e-3, "seed": 1}
WEIGHT_PLACES = 4  # decimals kept in the shipped weights
HINT_AT = 0.5  # at or above: a public answer still goes out, plus a private hint about reporting privately
PRIVATE_AT = 0.8  # at or above: the private-only reply
_WORD = re.compile(r"[a-z0-9]+")



@dataclass(frozen=True)
class DisclosureVerdict:
    """Whether a message reads like a new, undisclosed vulnerability report, and why.

    `score` is in [0, 1] (0.5 is the decision boundary); `reasons` names each signal that
    fired, positive ones as `+name` and dampeners as `-name`.
    """

    is_private_report: bool
    score: float
    reasons: tuple[str, ...]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)  # callers pass lowercased text


_ATTACK_VERBS = (r"(?:read|dump|steal|leak|exfiltrat|exec|execute|overwrite|forge|mint|become|impersonat"
                 r"|escalat|escap|bypass|crash|hang|panic|take over|get root|get a shell|get shell|poison"
                 r"|write (?:anywhere|arbitrary|outside|to (?:the )?host|files? (?:on|outside|to))"
                 r"|run (?:commands|arbitrary|code)|label other|access other|list other|redirect|inject)\w*")
_FLAW_NOUNS = (r"(?:vuln\w*|vulnerabilit\w*|bypass\w*|escape|breakout|rce|exploit\w*|0day|0-day|zero[ -]?day"
               r"|ssrf|traversal|injection|dos|bug|flaw|hole|race|leak\w*|privilege escalation|priv ?esc"
               r"|sandbox escape|auth ?bypass|code exec\w*)")

# Someone has the flaw in hand: discovered it, can do it, holds a PoC, or states it exists.
_POSSESSION: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("discovered", _rx(r"\b(?:found|discovered|identified|stumbled (?:on|upon|across)|came across"
                       r"|uncovered|spotted|noticed|reali[sz]ed|figured out)\b")),
    # "I can <attack verb>": "i can pull the feed into a dashboard" holds no flaw.
    ("can-do", _rx(r"\b(?:i|we|co-?worker|colleague|teammate|friend|intern|pentester|researcher)"
                   r"(?:'m|'ve| am| have)?\s++(?:\w++\s++){0,2}?(?:can|could)\s++(?:\w++\s++){0,2}?"
                   + _ATTACK_VERBS +
                   r"|\b(?:was|were|am|'m|im|are|been|be) able to\b|\bmanaged to\b")),
    ("believes", _rx(r"\b(?:i|we) (?:think|believe|suspect)\b|\b(?:i'?m|we'?re|am|are) (?:pretty |fairly )?"
                     r"(?:sure|confident|convinced)\b|\bpretty (?:sure|confident)\b")),
    ("and-can", _rx(r"\b(?:and|but|now|also|then)\s++(?:\w++\s++)?(?:can|could)\s++(?:\w++\s++)?"
                    r"(?:make|get|trigger|crash|hang|read|dump|reach|bypass|escape|leak|force|cause)\b")),
    ("got-result", _rx(r"\b(?:i|we)\s++(?:\w++\s++){0,2}?got\s++(?:root|a shell|shell|cluster-admin|code exec\w*"
                       r"|rce|uid=0|system:masters)")),
    ("has-exploit", _rx(r"\b(?:have|has|got|'ve got|ve got)\s++(?:a|an)\s++(?:\w++\s++){0,2}?(?:poc|exploit"
                        r"|proof[ -]of[ -]concept|0day|0-day|zero[ -]?day|repro\w*|script|writeup|write-up|way"
                        r"|breakout|escape|bypass|rce|vuln\w*|ssrf|dos)\b")),
    ("exploit-material", _rx(r"\b(?:poc|exploit|repro\w*|writeup|write-up|proof[ -]of[ -]concept|script)"
                             r"\s++(?:below|attached|ready|available|works|in dm|here)\b|\bdetails (?:below|attached)\b"
                             r"|^[ \t]{0,8}(?:poc|exploit|repro|steps(?: to reproduce)?)\s*:")),
    ("tested", _rx(r"\b(?:tested(?: it)?(?: on| against)?|verified(?: it)? on|reproduced|repro'?d|confirmed it"
                   r"|works (?:on|against|every time)|reproducible)\b")),
    ("claims-flaw", _rx(r"\b(?:there'?s|there is|theres)\s++(?:a|an)\s++(?:\w++\s++){0,2}?"
                        + _FLAW_NOUNS + r"\s++in\b"
                        r"|^[ \t]{0,8}(?:0day|0-day|zero[ -]?day)\b")),
)

# A concrete flaw: vulnerability words, or an attack capability ("a way to read ...").
_FLAW: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("flaw-word", _rx(r"\b(?:vuln\w*|vulnerabilit\w*|bypass\w*|escap(?:e|es|ed|ing)\b|breakout|break out|rce"
                      r"|remote code exec\w*|code exec\w*|arbitrary (?:code|command|file)s?|privilege escalation"
                      r"|priv ?esc|escalat\w*|exploit\w*|0day|0-day|zero[ -]?day|ssrf|path traversal|traversal"
                      r"|injection|inject\w*|information disclosure|info leak|leak(?:s|ed|ing)?\b|forg(?:e|ed|ing)"
                      r"|take over|takeover|take down|denial of service|dos\b|shell on|root on the (?:node|host)|node root"
                      r"|cluster-admin|system:masters"
                      r"|uid=0|authz|unauthenticated|read (?:other|any|all)\b|dump\w*|steal\w*|mint\w*|poison\w*"
                      r"|exec into (?:any|other|every)|race condition|security (?:flaw|issue|bug|hole|problem)|flaw\b"
                      r"|isolation (?:break\w*|bypass\w*|escape)|break\w* (?:tenant |pod |namespace )?isolation"
                      r"|isolation breaks|something (?:serious|nasty|bad)\b|tricked into"
                      r"|auth\w* (?:check )?(?:is |gets )?(?:skipped|bypassed|not checked|missing)"
                      r"|skips? the (?:auth\w*|immutab\w*|admission|validation|rbac)\w*"
                      r"|(?:gets? to|reach\w*) the (?:node|host)'?s? (?:localhost|root|fs|filesystem|network)"
                      r"|(?:have|has) no access to|not supposed to (?:see|read|access)"
                      r"|shouldn'?t (?:be able to|have access))")),
    ("cross-boundary", _rx(r"\b(?:lets?|allows?|enables?|can|could)\s++(?:\S++\s++){0,6}?(?:any|other|every|another)"
                           r"\s++(?:\S++\s++)?(?:node|pod|namespace|tenant|user|container|secret|cluster|service"
                           r"|serviceaccount|volume|object|account)")),
    ("attack-capability", _rx(r"\b(?:way (?:to|for \w+(?: \w+)? to|around)|able to|managed to|can|could)\s++"
                              r"(?:\w++\s++){0,2}?" + _ATTACK_VERBS)),
)
# Ordinary ops words that are a flaw only with support: crafted input, a hands-on capability, or
# an attacker's reach ("any user can", "from an unprivileged pod"). "drain hangs, i think" is not.
_AVAILABILITY = _rx(r"\b(?:crash(?:es|ed|ing)?|panic(?:s|ked)?|oom(?:s|ed|ing)?|hang(?:s|ing)?|takes? down|goes down"
                    r"|went down|restarts? (?:every time|in a loop))\b")
_ATTACKER_REACH = _rx(r"\b(?:any (?:authenticated |unprivileged |non-admin |normal )?(?:user|pod|tenant|one)"
                      r"|anyone|unauthenticated|unprivileged|non-admin|from (?:a|any) (?:pod|container)"
                      r"|as a normal user)\b")
_HANDS_ON = frozenset({"can-do", "and-can", "got-result", "has-exploit", "exploit-material", "tested"})
_CRAFTED = _rx(r"\b(?:crafted|malformed|malicious|specially[ -]crafted|deeply nested)\b")
_ARTIFACT = _rx(r"```|\b(?:poc|proof[ -]of[ -]concept|repro\w*|reproduc\w*|steps to reproduce|writeup|write-up"
                r"|tested|verified)\b|^[ \t]{0,8}[1-9][.)]\s")
_UNDISCLOSED = _rx(
    r"\b(?:0day|0-day|zero[ -]?day|undisclosed|unreported|not (?:yet )?(?:reported|disclosed|public)"
    r"|(?:haven'?t|have not|hasn'?t|has not)(?: yet)? (?:told|reported|disclosed|shared|posted)"
    r"|before (?:it'?s|it is|it goes|this goes|anything goes|going|someone else)|without (?:it )?going public"
    r"|without (?:it )?(?:leaking|becoming public)|embargo\w*|confidential\w*|responsibl[ey]\b"
    r"|coordinat\w* disclosure|(?:don'?t|do not) want to (?:post|drop|share)|not gonna (?:post|paste)"
    r"|unpatched\s++(?:\w++\s++)?(?:vuln\w*|bug|flaw|hole|bypass|rce|exploit|escape|path traversal))")
_INTENT = _rx(
    r"\b(?:where|who|how)\s++(?:\w++\s++){0,3}?(?:report|send|disclos\w*|submit|contact|talk to|file|dm|email"
    r"|reach|tell)\b|\bwhere (?:do|does|should|would) (?:this|these|that|it) go\b|\bprivate(?:ly)?\b"
    r"|\bdm me\b|\bsecurity@|\bpgp\b|\b(?:open|file) an? (?:github )?issue\b|\bgithub issue\b"
    r"|\bright (?:place|people|ppl)\b|\bwho (?:handles|gets|owns) (?:it|this|these)\b"
    r"|\b(?:want|need|like|going|planning|trying)\s++to\s++(?:report|disclose|submit)\b"
    r"|\bshould (?:i|we|he|she|this|it) (?:report|be reported|go to|email)\b|\bwho do (?:i|we) tell\b")
_TARGET = _rx(r"\b(?:kubelet|kube-?apiserver|apiserver|api server|etcd|kube-proxy|scheduler|controller|kubectl"
              r"|client-go|kubeadm|ingress\w*|csi\w*|admission|node authorizer|noderestriction|coredns"
              r"|containerd|cri-o|runc|metrics-server|dashboard|helm|webhook)")
_NOT_MISCONFIG = _rx(r"\bnot (?:just )?(?:a |our )?(?:mis)?config\w*(?: thing| issue)?\b|\breal (?:bug|vuln\w*)\b")

_DAMPENERS: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    ("known-cve-id", -2.0, _rx(r"\bcve-\d{4}-\d{3,7}\b")),
    ("scanner", -2.5, _rx(r"\b(?:trivy|grype|snyk|kube-bench|kube-hunter|kubescape|clair|anchore|prowler"
                          r"|checkov|kics|polaris|kubeaudit|dependabot|scanner|scan(?:ner)? (?:says|flags|found))\b")),
    ("hardening-question", -2.0, _rx(
        r"\b(?:how (?:do|can|should|would|to)|best way to|is there a way to|any way to|recommended way to"
        r"|ways? to|want to|trying to|how do we|how do i)\s++(?:i\s++|we\s++|you\s++|one\s++)?(?:\w++\s++)?"
        r"(?:prevent|stop|block|protect|harden|mitigate|detect|avoid|lock\w*|restrict|disable|close|fix|defend"
        r"|secure|enforce|ban|forbid|monitor|limit|set limits|set up)\w*\b|\bwhat (?:stops|prevents|blocks|protects)\b"
        r"|\bprotect(?:ing)? against\b|\bis\b[^.?!\n]{0,60}\benough\b")),
    ("attacker-view", -1.5, _rx(r"\bhow (?:do|would|could|can|does) (?:an? )?attackers?\b|\bwhat can an attacker\b"
                                r"|\battack (?:paths?|surface|vectors?|techniques?)\b|\bexploitation techniques\b")),
    ("vuln-or-misconfig", -2.0, _rx(r"\bor (?:just )?(?:a )?misconfig\w*|\bvuln\w* or\b"
                                    r"|\bis (?:it|this|that) (?:a|an|really a) (?:vuln\w*|security issue|cve)\b"
                                    r"|\bsecurity issue or\b|\bcounts? as a vuln\w*")),
    ("hypothetical", -2.5, _rx(r"\b(?:hypothetically|in theory|what if|suppose|say i found"
                               r"|if (?:i|someone|somebody|an attacker|a user|one|you) (?:found|finds|find|report\w*"
                               r"|were to|discovered|discover))\b")),
    ("already-reported", -1.5, _rx(r"\b(?:sent|submitted|filed) (?:a|the|my|our)\b[^.?!\n]{0,60}"
                                   r"\b(?:ago|no reply|heard nothing|no response|last (?:week|month))"
                                   r"|\bclosed as\b|\bworking as intended\b|\bno reply\b|\bheard nothing\b")),
    ("known-or-public", -1.0, _rx(r"\b(?:known (?:issue|cve|vuln\w*|bug)s?|the last \w+|recent cves?|writeup for"
                                  r"|blog post|saw a (?:blog|talk|post)|heard (?:there'?s|about)|leaky vessels"
                                  r"|ingressnightmare|announced|already (?:public|fixed|patched|announced))\b")),
    ("own-setup", -1.0, _rx(r"(?<!just )\bour (?:own |old |current |existing |test |prod )?(?:rbac|config\w*|cluster|setup"
                            r"|nodes?|bindings?|helm chart|chart|polic(?:y|ies)|namespaces|kubelet config|backups?"
                            r"|deployments?|psp migration)\b")),
    ("how-is-that-possible", -1.5, _rx(r"\bhow is (?:that|this|it) (?:even )?possible\b")),
)

_WEIGHTS = {"possession": 1.0, "flaw": 1.0, "possession+flaw": 1.5, "crafted-input": 0.5,
            "exploit-artifact": 0.75, "undisclosed": 1.0, "disclosure-intent": 0.75, "component": 0.25,
            "not-a-misconfig": 0.5, "no-first-hand-claim": -1.0}
_THRESHOLD = 3.0


def assess_disclosure(text: str) -> DisclosureVerdict:
    """The hand-written rules' verdict: how much `text` reads like a new vulnerability report.

    A report needs someone holding a flaw (found / can / has a PoC / tested) AND a concrete flaw
    (vulnerability words, an attack capability, crafted input); undisclosed markers, reporting
    intent and exploit material add weight. Known CVE ids, scanner output, hardening questions,
    hypotheticals and "vuln or misconfig?" questions dampen it. Linear in len(text).
    """
    low = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    raw = 0.0
    reasons: list[str] = []

    def add(name: str, weight: float | None = None, detail: str = "") -> None:
        nonlocal raw
        w = _WEIGHTS[name] if weight is None else weight
        raw += w
        reasons.append(("+" if w > 0 else "-") + name + (f":{detail}" if detail else ""))

    held = {n: m for n, p in _POSSESSION if (m := p.search(low))}
    possession = next(iter(held.items()), None)
    flaw = next(((n, m) for n, p in _FLAW if (m := p.search(low))), None)
    crafted = _CRAFTED.search(low)
    if flaw is None and (outage := _AVAILABILITY.search(low)):
        if crafted or _HANDS_ON.intersection(held) or _ATTACKER_REACH.search(low):
            flaw = ("availability", outage)
    if possession:
        add("possession", detail=possession[1].group(0).strip()[:40])
    else:
        add("no-first-hand-claim")
    if flaw:
        add("flaw", detail=flaw[1].group(0).strip()[:40])
    if crafted:
        add("crafted-input", detail=crafted.group(0))
    if possession and (flaw or crafted):
        add("possession+flaw")
    for name, pattern in (("exploit-artifact", _ARTIFACT), ("undisclosed", _UNDISCLOSED),
                          ("disclosure-intent", _INTENT), ("component", _TARGET),
                          ("not-a-misconfig", _NOT_MISCONFIG)):
        if m := pattern.search(low):
            add(name, detail=m.group(0).strip()[:40])
    for name, weight, pattern in _DAMPENERS:
        if m := pattern.search(low):
            raw += weight
            reasons.append(f"-{name}:{m.group(0).strip()[:40]}")

    score = 1.0 / (1.0 + math.exp(-(raw - _THRESHOLD)))
    return DisclosureVerdict(is_private_report=raw >= _THRESHOLD, score=round(score, 4), reasons=tuple(reasons))


# ---------------------------------------------------------------------------------------------
# The learned decision
# ---------------------------------------------------------------------------------------------


def features(text: str) -> tuple[str, ...]:
    """What the model sees: the rules' signals, words, adjacent word pairs, code and question marks."""
    words = _WORD.findall(fold(text))
    found = set(words)
    found.update(f"{first}_{second}" for first, second in zip(words, words[1:]))
    found.update("rule" + reason.split(":", 1)[0] for reason in assess_disclosure(text).reasons)
    if "```" in text or "\n    " in text:
        found.add("has:code")
    if "?" in text:
        found.add("has:question")
    return tuple(sorted(found))


@dataclass(frozen=True)
class DisclosureModel:
    """Logistic regression over `features`; `probability(text)` is the chance `text` is a report."""

    weights: dict[str, float]
    bias: float

    @classmethod
    def train(cls, examples: list[tuple[str, bool]], *, epochs: int = 40, rate: float = 0.2,
              l2: float = 1e-3, seed: int = 1) -> "DisclosureModel":
        """Stochastic gradient descent with a fixed seed: the same examples give the same model.

        Classes are balanced (each example weighted by the inverse of its class's share), so adding
        ordinary chatter to the training data does not by itself make reports harder to flag.
        """
        data = [(features(text), 1.0 if private else 0.0) for text, private in examples]
        positives = sum(label for _, label in data) or 1.0
        negatives = (len(data) - positives) or 1.0
        balance = {1.0: len(data) / (2 * positives), 0.0: len(data) / (2 * negatives)}
        weights: dict[str, float] = {}
        bias = 0.0
        shuffle = random.Random(seed).shuffle
        for _ in range(epochs):
            shuffle(data)
            for found, label in data:
                error = (_sigmoid(bias + sum(weights.get(f, 0.0) for f in found)) - label) * balance[label]
                bias -= rate * error
                for f in found:
                    value = weights.get(f, 0.0)
                    weights[f] = value - rate * (error + l2 * value)
        return cls(weights, bias)

    def compact(self, places: int = WEIGHT_PLACES) -> "DisclosureModel":
        """The model as shipped: weights rounded to `places` decimals, those that round to 0 dropped."""
        kept = {f: r for f, w in sorted(self.weights.items()) if (r := round(w, places)) != 0.0}
        return DisclosureModel(kept, round(self.bias, places))

    def probability(self, text: str) -> float:
        return _sigmoid(self.bias + sum(self.weights.get(f, 0.0) for f in features(text)))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def load_examples(paths: list[Path]) -> list[tuple[str, bool]]:
    """Labelled messages: YAML lists of {text, private}."""
    examples = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            examples.append((str(item["text"]), bool(item["private"])))
    return examples


def training_digest(paths: list[Path]) -> str:
    """SHA-256 over the training files' names and bytes: which data a weights file was built from."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def train_default_model(paths: list[Path] | None = None) -> DisclosureModel:
    """The shipped model, trained deterministically on the labelled messages in `data/`."""
    return DisclosureModel.train(load_examples(TRAINING_FILES if paths is None else paths), **TRAINING)


def model_document(paths: list[Path] | None = None) -> dict[str, object]:
    """What `scripts/train_disclosure.py` writes to `MODEL_FILE`: a pure function of the training files."""
    paths = TRAINING_FILES if paths is None else paths
    model = train_default_model(paths).compact()
    return {
        "format": 1,
        "training_files": [path.name for path in paths],
        "training_sha256": training_digest(paths),
        "training": dict(TRAINING),
        "hint_at": HINT_AT,
        "private_at": PRIVATE_AT,
        "bias": model.bias,
        "weights": model.weights,
    }


def dump_document(document: dict[str, object]) -> str:
    """The weights file's exact text (sorted keys, one line per weight), so rebuilt files compare equal."""
    return json.dumps(document, indent=0, sort_keys=True, ensure_ascii=True) + "\n"


@dataclass(frozen=True)
class PrivateVerdict:
    """The graded verdict on one message: `level` is none, borderline or confident."""

    score: float
    level: str
    reasons: tuple[str, ...]  # the rules' signal names only (never the matched text)


@dataclass(frozen=True)
class PrivateReportCheck:
    """Does a message report an undisclosed vulnerability? Owned by the core's `Brain`."""

    model: DisclosureModel
    hint_at: float = HINT_AT
    private_at: float = PRIVATE_AT

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "PrivateReportCheck":
        """The shipped check: weights and thresholds read from `path`; nothing is trained."""
        document = json.loads(path.read_text(encoding="utf-8"))
        model = DisclosureModel({str(f): float(w) for f, w in document["weights"].items()}, float(document["bias"]))
        return cls(model, float(document["hint_at"]), float(document["private_at"]))

    def probability(self, text: str) -> float:
        return self.model.probability(text)

    def verdict(self, text: str) -> PrivateVerdict:
        score = self.probability(text)
        level = "confident" if score >= self.private_at else "borderline" if score >= self.hint_at else "none"
        reasons = tuple(reason.split(":", 1)[0] for reason in assess_disclosure(text).reasons)
        return PrivateVerdict(round(score, 4), level, reasons)

    def is_report(self, text: str) -> bool:
        """True when `text` should get the private-only reply instead of a public answer."""
        return self.probability(text) >= self.private_at
