"""Folding: lower case without accents, read for every candidate sentence of an answer."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from calanque.answer.language import fold, lexicon_gloss


def _fold_char_by_char(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def test_fold_drops_accents_and_case() -> None:
    assert fold("Écoles ÉTÉ œuvre Ça") == "ecoles ete œuvre ca"
    assert fold("ﬁchier ²") == "fichier 2"  # compatibility forms too
    assert fold("plain ascii") == "plain ascii"


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=12))
def test_fold_is_the_character_by_character_definition(text: str) -> None:
    """The fast path (ASCII as it is, the marks dropped by one class) changes nothing."""
    assert fold(text) == _fold_char_by_char(text)


def test_a_gloss_gives_the_question_s_words_in_the_other_language() -> None:
    gloss = lexicon_gloss("Un paquet peut-il accéder au réseau pendant sa compilation ?", "fr")
    assert {"package", "access", "network"} <= set(gloss.split())
    assert "paquet" not in gloss and "réseau" not in gloss
    # a command, a path and a name the lexicon lacks are written as they are
    english = lexicon_gloss("Which field of debian/control does apt-get read?", "en")
    assert "debian/control" in english.split() and "apt-get" in english.split()
    assert "champ" in english.split()  # field
    # nothing to translate, or a language the lexicon does not hold: no gloss
    assert lexicon_gloss("apt-get dpkg-reconfigure", "en") == ""
    assert lexicon_gloss("Wo ist das Netzwerk?", "de") == ""


def test_a_gloss_translates_an_expression_as_a_whole() -> None:
    # word for word, "mot de passe" was "word pass" and "mise à jour" "setting day"
    gloss = lexicon_gloss("Comment changer le mot de passe après la mise à jour ?", "fr")
    assert "password" in gloss.split() and "update" in gloss.split()
    assert not {"word", "pass", "setting", "day"} & set(gloss.split())
    # the table is read both ways, and the words around an expression are still glossed
    french = lexicon_gloss("Which package changes the password?", "en")
    assert "mot de passe" in french and "paquet" in french.split()
    # an expression of stopwords alone is no expression: "from" stays a stopword
    assert "partir" not in lexicon_gloss("Where does the package come from?", "en")
