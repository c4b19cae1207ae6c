"""The answer benchmark's citation check (``bench/answer.py``): what it counts as precise."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from bench.answer import _made_of_quotes
from tests.conftest import HashEmbedder

LEAD = "Après avoir configuré le noyau, lancez la commande suivante :"


def _cite(n: int, quote: str) -> SimpleNamespace:
    return SimpleNamespace(n=n, quote=quote)


def test_a_sentence_made_of_two_quotes_of_its_source_is_precise_for_each() -> None:
    lead = _cite(1, LEAD)
    item = _cite(1, "make deb-pkg")
    sentence = SimpleNamespace(text=f"{lead.quote} {item.quote}", citations=(1,))
    assert _made_of_quotes(sentence, lead, [lead, item])
    assert _made_of_quotes(sentence, item, [lead, item])


def test_words_no_quote_holds_make_the_sentence_imprecise() -> None:
    lead = _cite(1, LEAD)
    item = _cite(1, "make deb-pkg")
    sentence = SimpleNamespace(text=f"{lead.quote} {item.quote} en root", citations=(1,))
    assert not _made_of_quotes(sentence, lead, [lead, item])


def test_an_empty_quote_covers_nothing() -> None:
    lead = _cite(1, LEAD)
    empty = _cite(1, "")
    sentence = SimpleNamespace(text=f"{lead.quote} make deb-pkg", citations=(1,))
    assert not _made_of_quotes(sentence, empty, [lead, empty])
    assert not _made_of_quotes(sentence, lead, [lead, empty])


def test_a_quote_of_a_source_the_sentence_does_not_cite_covers_nothing() -> None:
    lead = _cite(1, LEAD)
    item = _cite(2, "make deb-pkg")
    sentence = SimpleNamespace(text=f"{lead.quote} {item.quote}", citations=(1,))
    assert not _made_of_quotes(sentence, lead, [lead, item])
    cited_both = SimpleNamespace(text=sentence.text, citations=(1, 2))
    assert _made_of_quotes(cited_both, lead, [lead, item])


def test_a_change_to_the_lexical_documents_rebuilds_the_bench_corpora(
    tmp_path, monkeypatch
) -> None:
    """The corpus cache key covers what builds the tantivy documents (a variant of
    ``chunk_document`` was once measured on corpora indexed by the shipped one)."""
    import shutil

    import bench.answer as bench_answer

    copy = tmp_path / "calanque"
    shutil.copytree(bench_answer.SRC, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(bench_answer, "SRC", copy)
    bench_answer._reading_code.cache_clear()
    try:
        before = bench_answer._reading_code()
        lexical = copy / "index/_lexical.py"
        lexical.write_text(lexical.read_text() + "\n# another document shape\n")
        bench_answer._reading_code.cache_clear()
        assert bench_answer._reading_code() != before
    finally:
        bench_answer._reading_code.cache_clear()


def test_the_steady_state_warm_up_never_rehearses_the_timed_questions() -> None:
    """bench/search.py times its questions again after a warm-up on other questions: none
    of the timed ones may be among them, or the second timing would replay cached pages."""
    from bench.search import load_queries, other_questions

    timed = load_queries(200)
    warm_up = other_questions(timed, 400)
    assert len(warm_up) == 400
    assert not set(warm_up) & set(timed)
    assert len(set(warm_up)) == len(warm_up)
    assert other_questions(timed, 400) == warm_up  # a fixed order, run to run
    assert other_questions(timed + warm_up[:10], 5) == warm_up[10:15]


def test_before_the_dense_pass_the_bench_searches_words_only(
    tmp_path: Path, hash_embedder: HashEmbedder
) -> None:
    """``bench.answer --lexical-only``: the index's vectors hidden (only lexical hits, and
    candidates embedded at search time when ``embed_missing`` says so), and an index that
    says vectors are pending (so the engine prefers the question's language)."""
    from bench.answer_domains import BeforeDensePass

    from calanque.index.embedded import EmbeddedIndex
    from calanque.index.retriever import Retriever
    from calanque.types import IndexedChunk

    chunks = [
        IndexedChunk(chunk_id=n, document_id=n, text=text, title="", url=f"https://a.org/{n}",
                     heading="", language="en", site="a.org", source_id=1)
        for n, text in enumerate(["apt upgrades packages", "nftables filters packets"], 1)
    ]  # fmt: skip
    index = EmbeddedIndex.for_embedder(tmp_path, hash_embedder)
    index.upsert(chunks, hash_embedder.embed_passages([c.text for c in chunks]))
    index.commit(1)
    try:
        assert len(Retriever(index, hash_embedder).search("nftables", 5)) == 2  # dense: both
        before = BeforeDensePass(Retriever(index, hash_embedder), embed_missing=0)
        assert before.index_state()["complete"] is False
        embedded = hash_embedder.passages_embedded
        assert [h.chunk_id for h in before.search("nftables", 5)] == [2]  # words alone
        assert hash_embedder.passages_embedded == embedded
        ahead = BeforeDensePass(Retriever(index, hash_embedder), embed_missing=5)
        assert [h.chunk_id for h in ahead.search("nftables", 5)] == [2]
        assert hash_embedder.passages_embedded == embedded + 1  # its stored vector is hidden
    finally:
        index.close()


def test_the_abstention_grid_only_names_policy_fields() -> None:
    """``python -m bench.abstention`` replays every cell of its grid: a field the policy
    does not have (one left from an experiment) made it fail before the first cell."""
    from dataclasses import fields, replace

    from bench.abstention import GRID

    from calanque.answer.extractive import AbstentionPolicy

    assert set(GRID) <= {f.name for f in fields(AbstentionPolicy)}
    cell = replace(AbstentionPolicy(), **{name: values[0] for name, values in GRID.items()})
    assert all(getattr(cell, name) == values[0] for name, values in GRID.items())


def test_a_model_run_without_an_endpoint_says_which_variable_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bench.answer_domains import model_settings

    monkeypatch.delenv("CALANQUE_BENCH_LLM_BASE_URL", raising=False)
    with pytest.raises(SystemExit, match="CALANQUE_BENCH_LLM_BASE_URL"):
        model_settings()
    monkeypatch.setenv("CALANQUE_BENCH_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CALANQUE_BENCH_LLM_MODEL", "mistral-small")
    settings = model_settings()
    assert (settings.writer, settings.llm_base_url, settings.llm_model) == (
        "openai", "http://127.0.0.1:9/v1", "mistral-small",
    )  # fmt: skip


def test_the_extractive_table_needs_no_model_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """The title of the extractive writer's table once asked for the model's settings too,
    and so ended every run without an endpoint before its results were written."""
    from bench.answer_domains import writer_title

    monkeypatch.delenv("CALANQUE_BENCH_LLM_BASE_URL", raising=False)
    assert writer_title("") == "extractive writer"
    assert "scripted" in writer_title("scripted")
    monkeypatch.setenv("CALANQUE_BENCH_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CALANQUE_BENCH_LLM_MODEL", "mistral-small")
    assert "mistral-small" in writer_title("openai")


def test_notes_scoring_needs_one_alternative_of_every_group() -> None:
    from bench.notes import score

    question = {"kind": "ans", "expect": [["15 €", "15 euros"], ["gilet", "life jacket"]]}
    both = "Location d'un paddle : 15\u00a0€. A life jacket must be worn."
    assert score(question, True, both, "Location d'un paddle : 15 €.") == {
        "verdict": "right",
        "first": False,  # the first quote holds the price, not the jacket
    }
    assert score(question, True, "Location d'un paddle : 15 €.", "")["verdict"] == "wrong"
    assert score(question, False, "", "")["verdict"] == "refused"
    unanswerable = {"kind": "unans", "expect": []}
    assert score(unanswerable, True, both, "")["verdict"] == "answered (unanswerable)"
    assert score(unanswerable, False, "", "")["verdict"] == "refused (unanswerable)"


@pytest.mark.parametrize("trial", ["zsh", "r"])
def test_each_manual_trial_set_has_its_four_groups(tmp_path, trial: str) -> None:
    import json
    import urllib.request

    from bench.manual import GROUPS, TRIALS, served

    questions = json.loads(TRIALS[trial].questions.read_text(encoding="utf-8"))["questions"]
    counts = {p: sum(q["id"].startswith(p) for q in questions) for p in GROUPS}
    assert counts == {"E": 16, "F": 16, "T": 4, "U": 8}
    for q in questions:
        answerable = q["kind"] == "ans"
        assert answerable == (q["id"][0] != "U"), q["id"]
        assert all(group for group in q["expect"]) and bool(q["expect"]) == answerable
    assert {q["lang"] for q in questions if q["id"][0] == "F"} == {"fr"}
    (tmp_path / "index.html").write_text("<p>zsh</p>", encoding="utf-8")
    with served(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "index.html", timeout=10) as reply:
            assert reply.read() == b"<p>zsh</p>"
