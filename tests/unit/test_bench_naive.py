"""The answer benchmark's peer (``bench/naive.py``): the issue's naive pipeline, built as
the issue describes it, so that the ratio it prints measures what the issue measured."""

from __future__ import annotations

from bench.naive import (
    SENTENCES,
    WINDOW_WORDS,
    Compared,
    NaivePipeline,
    Window,
    page_text,
    strip_tags,
    table_row,
    windows_of,
)
from tests.conftest import HashEmbedder


def test_tags_scripts_and_styles_are_stripped_and_entities_decoded() -> None:
    page = (
        "<html><head><style>p { color: red }</style><script>var x = '<b>';</script></head>"
        "<body><p>Caf&eacute; &amp; th&eacute;</p><p>second</p></body></html>"
    )
    assert strip_tags(page) == "Café & thé second"
    assert page_text("site/page.html", page.encode()) == "Café & thé second"


def test_windows_are_200_words_one_after_the_other() -> None:
    text = " ".join(f"w{i}" for i in range(2 * WINDOW_WORDS + 5))
    windows = windows_of("a/b.html", text)
    assert [len(w.text.split()) for w in windows] == [WINDOW_WORDS, WINDOW_WORDS, 5]
    assert windows[1].text.split()[0] == f"w{WINDOW_WORDS}"
    assert {w.path for w in windows} == {"a/b.html"}


def _pipeline() -> NaivePipeline:
    windows = [
        Window(
            "en/apt.html", "The apt tool installs packages. Use apt install to add one. Cats purr."
        ),
        Window("fr/apt.html", "L'outil apt installe des paquets. Les chats ronronnent."),
        Window("en/kernel.html", "The kernel boots first. Grub loads the kernel."),
    ]
    return NaivePipeline(windows, HashEmbedder())


def test_the_answer_is_the_sentences_closest_to_the_question_at_most_three() -> None:
    answer = _pipeline().answer("Which tool installs packages?", ())
    assert "The apt tool installs packages." in answer
    assert len([s for s in answer.split(". ") if s]) <= SENTENCES


def test_a_question_searches_only_the_sources_it_is_scoped_to() -> None:
    answer = _pipeline().answer("apt installe des paquets", ("en",))
    assert "installe" not in answer  # the French tree is out of scope
    assert "apt" in answer


def test_the_table_counts_refusals_only_for_calanque() -> None:
    rows = [
        Compared("a", True, naive=True, calanque=True),
        Compared("b", True, naive=False, calanque=True),
        Compared("c", False, naive=False, calanque=True),
    ]
    name, answerable, naive, ours, ratio, unanswerable, refused_naive, refused_ours = table_row(
        "d", rows
    )
    assert (answerable, naive, ours, ratio) == (2, 0.5, 1.0, "2.00×")
    assert (unanswerable, refused_naive, refused_ours) == (1, 0.0, 1.0)


def test_a_trial_folder_is_read_without_its_generated_index(tmp_path) -> None:
    from bench.naive import folder_pipeline

    (tmp_path / "index.html").write_text('<a href="a.html">Apt</a> links only', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_text("<p>The apt tool installs packages.</p>", "utf-8")
    (tmp_path / "notes.txt").write_text("not a page of the site", encoding="utf-8")
    pipeline = folder_pipeline(tmp_path, HashEmbedder())
    assert [(w.path, w.text) for w in pipeline.windows] == [
        ("sub/a.html", "The apt tool installs packages.")
    ]
