"""The French-English expressions table of the question's gloss."""

from __future__ import annotations

import pytest

from calanque.answer.language import words
from calanque.answer.phrases import MAX_WORDS, parse, phrases

TABLE = "# a comment\nmot de passe\tpassword\nmots de passe\tpasswords\nmot\tword\n"


def test_the_longest_expression_is_matched_first() -> None:
    table = parse(TABLE, words)
    tokens = words("changer les mots de passe")
    assert table.match(tokens, 2, "fr") == (3, "passwords")
    assert table.match(words("un mot"), 1, "fr") == (1, "word")
    assert table.match(tokens, 0, "fr") is None


def test_the_table_is_read_both_ways() -> None:
    table = parse(TABLE, words)
    assert table.match(["password"], 0, "en") == (1, "mot de passe")


def test_a_line_without_a_translation_is_named() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse("# comment\nmot de passe\n", words)
    with pytest.raises(ValueError, match="line 1"):
        parse("mot de passe\t \n", words)


def test_the_shipped_table_reads_and_keeps_its_limits() -> None:
    table = phrases(words)
    assert len(table.table["fr"]) >= 500 and len(table.table["en"]) >= 400
    assert table.match(words("la ligne de commande"), 1, "fr") == (3, "command line")
    for language in ("fr", "en"):
        assert all(0 < len(key) <= MAX_WORDS for key in table.table[language])
