"""all-MiniLM-L6-v2 on ONNX Runtime: exported offline, the same vectors, no torch to search."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from diplorag import api, embed
from diplorag.chunking import chunk_document
from diplorag.config import load_settings
from diplorag.embed import MINILM, OnnxEmbedder, load_embedder, minilm_folder, onnx_dir
from diplorag.embed_export import (
    DATA_SUFFIX,
    EXPORT_FILE,
    FP32,
    INT8,
    file_sha256,
    read_export,
)
from diplorag.errors import ModelChecksumError
from diplorag.ingest import load_document
from diplorag.types import Document

pytestmark = pytest.mark.model

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
QUESTIONS = [
    "What did Kang say about New START?",
    "Who moderated the panel?",
    "What did Kim Young-suk ask Singapore?",
    "How many defense ministers attended?",
    "artificial intelligence in defence",
]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A models folder with a fresh export, made with every network connection refused."""
    folder = tmp_path_factory.mktemp("models")

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError(f"network use during export: {address}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        load_embedder(MINILM, models_dir=folder, runtime="onnx")
    yield folder


def seed_chunks() -> list[str]:
    settings = load_settings()
    texts = []
    for path in sorted(CORPUS.glob("*.txt")):
        doc = load_document(path, max_bytes=10**7)
        assert isinstance(doc, Document)
        texts += [c.text for c in chunk_document(doc, api.chunker_settings(settings))]
    return texts


def test_export_records_every_file_by_sha256(models_dir: Path) -> None:
    folder = onnx_dir(models_dir)
    record = read_export(folder)
    assert record is not None
    assert record["source"] == str(minilm_folder())
    weights = {FP32 + DATA_SUFFIX, INT8 + DATA_SUFFIX}
    assert set(record["sha256"]) == {FP32, INT8, "tokenizer.json", *weights}
    for name, digest in record["sha256"].items():
        assert file_sha256(folder / name) == digest, name
    # The graphs hold no weights; the weights files do, the int8 ones in a quarter of the size.
    assert (folder / FP32).stat().st_size < 1_000_000
    fp32, int8 = ((folder / (n + DATA_SUFFIX)).stat().st_size for n in (FP32, INT8))
    assert fp32 > 80_000_000 and int8 < fp32 / 3


def test_onnx_vectors_match_pytorch_over_the_seed_corpus(models_dir: Path) -> None:
    texts = [*seed_chunks(), *QUESTIONS]
    assert len(texts) >= 12
    reference = load_embedder(MINILM, runtime="torch").encode_documents(texts)
    fp32 = load_embedder(MINILM, models_dir=models_dir, runtime="onnx").encode_documents(texts)
    int8 = load_embedder(MINILM, models_dir=models_dir, runtime="onnx-int8")
    quantized = int8.encode_documents(texts)
    assert fp32.shape == reference.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(fp32, axis=1), 1.0, atol=1e-5)
    assert float((fp32 * reference).sum(axis=1).min()) >= 0.999
    openvino = load_embedder(MINILM, models_dir=models_dir, runtime="openvino")
    assert openvino.runtime == "openvino"  # type: ignore[attr-defined]
    bf16 = openvino.encode_documents(texts)
    # bf16 on CPUs that have it (AMX here), fp32 elsewhere: the same vectors either way.
    assert float((bf16 * reference).sum(axis=1).min()) >= 0.999
    assert float((bf16 * fp32).sum(axis=1).min()) >= 0.9995
    # int8 moves vectors a little (measured min 0.986 on news chunks); ranking is checked below.
    assert float((quantized * reference).sum(axis=1).min()) >= 0.97
    one = int8.encode_query(QUESTIONS[0])
    assert one.shape == (1, 384)
    # Dynamic int8 scales activations per batch, so a text alone and in a batch differ a little.
    assert float(one[0] @ quantized[len(texts) - len(QUESTIONS)]) >= 0.99
    alone = load_embedder(MINILM, models_dir=models_dir, runtime="onnx").encode_query(QUESTIONS[0])
    assert np.allclose(alone[0], fp32[len(texts) - len(QUESTIONS)], atol=1e-5)


@pytest.fixture(scope="module")
def dense_tops(
    tmp_path_factory: pytest.TempPathFactory, models_dir: Path
) -> dict[str, list[list[str]]]:
    """The dense top-3 chunk ids of each question, over seed indexes built each way."""
    tops = {}
    for runtime in ("torch", "onnx", "openvino", "onnx-int8"):
        settings = load_settings(
            index_dir=tmp_path_factory.mktemp(runtime),
            models_dir=models_dir,
            embedding_runtime=runtime,
        )
        api.ingest([CORPUS], settings)
        tops[runtime] = [
            [h.chunk_id for h in api.search(q, settings, k=3, mode="dense").hits] for q in QUESTIONS
        ]
    return tops


def test_indexes_built_with_torch_or_fp32_onnx_search_the_same(
    dense_tops: dict[str, list[list[str]]],
) -> None:
    assert dense_tops["onnx"] == dense_tops["torch"]
    assert dense_tops["openvino"] == dense_tops["torch"]


def test_an_int8_index_ranks_the_same_articles_first(
    dense_tops: dict[str, list[list[str]]],
) -> None:
    # Two chunks of one article can swap places (news MRR@10: benchmarks/RESULTS.md).
    def doc(chunk_id: str) -> str:
        return chunk_id.rsplit("-", 1)[0]

    assert [doc(t[0]) for t in dense_tops["onnx-int8"]] == [doc(t[0]) for t in dense_tops["torch"]]
    assert dense_tops["onnx-int8"][0][0] == dense_tops["torch"][0][0]  # the New START passage


def test_an_index_keeps_its_runtime_and_an_explicit_other_one_is_refused(
    tmp_path: Path, models_dir: Path
) -> None:
    from diplorag.errors import IndexMismatchError
    from diplorag.index.layout import current_generation, read_manifest

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    api.ingest(
        [corpus],
        load_settings(
            index_dir=tmp_path / "idx", models_dir=models_dir, embedding_runtime="onnx-int8"
        ),
    )
    settings = load_settings(index_dir=tmp_path / "idx", models_dir=models_dir)
    assert settings.embedding_runtime == "openvino"  # the default, not the index's
    root = settings.index_path
    assert read_manifest(current_generation(root)).embedding_runtime == "onnx-int8"  # type: ignore[arg-type]
    with pytest.raises(IndexMismatchError, match="onnx-int8"):
        api.ingest(
            [corpus],
            load_settings(
                index_dir=tmp_path / "idx", models_dir=models_dir, embedding_runtime="onnx"
            ),
        )
    (corpus / "new.txt").write_text("NATO ministers met in Brussels on Tuesday.", "utf-8")
    api.ingest([corpus], settings)
    assert read_manifest(current_generation(root)).embedding_runtime == "onnx-int8"  # type: ignore[arg-type]


def test_an_fp32_index_grows_with_any_fp32_runtime(tmp_path: Path, models_dir: Path) -> None:
    from diplorag.index.layout import current_generation, read_manifest

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    built = load_settings(
        index_dir=tmp_path / "idx", models_dir=models_dir, embedding_runtime="onnx"
    )
    api.ingest([corpus], built)
    root = built.index_path
    assert read_manifest(current_generation(root)).embedding_runtime == "onnx"  # type: ignore[arg-type]
    (corpus / "new.txt").write_text("NATO ministers met in Brussels on Tuesday.", "utf-8")
    report = api.ingest([corpus], load_settings(index_dir=tmp_path / "idx", models_dir=models_dir))
    assert report.chunks_embedded == 1
    assert read_manifest(current_generation(root)).embedding_runtime == "openvino"  # type: ignore[arg-type]
    hit = api.search("NATO ministers in Brussels", built, k=1, mode="dense").hits[0]
    assert hit.text == "NATO ministers met in Brussels on Tuesday."


def test_openvino_falls_back_to_the_cpu_provider_where_it_is_missing(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(embed, "openvino_available", lambda: False)
    with caplog.at_level(logging.WARNING, logger="diplorag.embed"):
        embedder = load_embedder(MINILM, models_dir=models_dir, runtime="openvino")
    assert embedder.runtime == "onnx"  # type: ignore[attr-defined]
    assert "onnxruntime-ep-openvino is not installed" in caplog.text


def test_a_changed_model_file_is_refused(tmp_path: Path, models_dir: Path) -> None:
    folder = tmp_path / "models"
    shutil.copytree(models_dir, folder)
    target = onnx_dir(folder) / (INT8 + DATA_SUFFIX)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelChecksumError, match="does not match its export"):
        OnnxEmbedder(MINILM, onnx_dir(folder), quantized=True, threads=1)
    record = json.loads((onnx_dir(folder) / EXPORT_FILE).read_text())
    assert record["sha256"][target.name] != file_sha256(target)


def test_cold_search_imports_neither_torch_nor_sentence_transformers(
    tmp_path: Path, models_dir: Path
) -> None:
    settings = load_settings(index_dir=tmp_path / "idx", models_dir=models_dir)
    api.ingest([CORPUS], settings)
    probe = (
        "import sys\n"
        "from diplorag.cli import main\n"
        "sys.argv = ['diplorag', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'spacy',"
        " 'bm25s', 'scipy', 'onnxruntime_ep_openvino')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, 'ONNX', 'onnxruntime' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "DIPLORAG_INDEX_DIR": str(tmp_path / "idx"),
        "DIPLORAG_MODELS_DIR": str(models_dir),
    }
    done = subprocess.run(
        [sys.executable, "-c", probe, "search", "New START", "-k", "1"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert "New Strategic Arms Reduction Treaty" in done.stdout, done.stdout
    assert "HEAVY [] ONNX True" in done.stdout, (done.stdout, done.stderr)
