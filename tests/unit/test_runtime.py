"""The composition root: backends built by their registered names, parts shared and closed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import HashEmbedder

from calanque import registry, runtime
from calanque.answer.extractive import ExtractiveWriter
from calanque.answer.vectors import SentenceVectorStore
from calanque.config import AnswerSettings, load_settings
from calanque.errors import ConfigError, ModelError
from calanque.runtime import Runtime, configured_writers, make_writer


def test_every_registered_name_has_a_builder_and_no_other() -> None:
    assert set(runtime.EMBEDDER_BUILDERS) == set(registry.EMBEDDERS)
    assert set(runtime.INDEX_BUILDERS) == set(registry.INDEX_BACKENDS)
    assert set(runtime.WRITER_BUILDERS) == set(registry.WRITERS)


def test_one_of_reads_as_a_sentence() -> None:
    assert registry.one_of(registry.WRITERS) == "extractive, openai or local"
    assert registry.one_of(["only"]) == "only"


def test_config_rejects_an_unregistered_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"answer\.writer must be extractive, openai or local"):
        load_settings({"home": tmp_path, "answer": {"writer": "oracle"}}, environ={})


def test_make_writer(tmp_path: Path) -> None:
    embedder, store = HashEmbedder(), SentenceVectorStore()
    assert isinstance(make_writer(AnswerSettings(), embedder, store), ExtractiveWriter)
    with pytest.raises(ModelError, match="llm_base_url"):
        make_writer(AnswerSettings(writer="openai"), embedder, store)
    with pytest.raises(ModelError, match="local_model_path"):
        make_writer(
            AnswerSettings(writer="local", local_model_path=str(tmp_path / "x.gguf")),
            embedder,
            store,
        )


def test_configured_writers(tmp_path: Path) -> None:
    settings = load_settings({"home": tmp_path}, environ={})
    assert configured_writers(settings) == ["extractive"]
    answer = {"llm_base_url": "http://127.0.0.1:1/v1", "llm_model": "m", "local_model_path": "x"}
    settings = load_settings({"home": tmp_path, "answer": answer}, environ={})
    assert configured_writers(settings) == ["extractive", "openai", "local"]


def test_runtime_shares_one_embedder_and_closes_what_it_opened(tmp_path: Path) -> None:
    settings = load_settings({"home": tmp_path}, environ={})
    embedder = HashEmbedder()
    parts = Runtime(settings, embedder=embedder)
    engine = parts.engine("extractive")
    assert parts.engine("extractive") is engine
    assert engine.embedder is embedder and parts.retriever.embedder is embedder
    assert engine.retriever is parts.retriever and parts.index is parts.retriever.index
    assert parts.catalog.list_sources() == []
    parts.close()


def test_importing_the_runtime_loads_no_optional_backend() -> None:
    code = (
        "import sys, calanque.runtime; "
        "print(sorted({'pymilvus', 'psycopg', 'llama_cpp', 'openai'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
