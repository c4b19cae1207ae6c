from urllib.parse import unquote

from hypothesis import given
from hypothesis import strategies as st

from calanque.answer.citations import marker_numbers, parse_citations, text_fragment_url


def test_marker_styles() -> None:
    text = "Un [1]. Deux [1, 2]. Trois. [3][4] Quatre 【5】. Cinq [2-4].\n[6]"
    parsed = parse_citations(text)
    assert [p.text for p in parsed] == ["Un.", "Deux.", "Trois.", "Quatre.", "Cinq."]
    assert [p.citations for p in parsed] == [(1,), (1, 2), (3, 4), (5,), (2, 3, 4, 6)]


def test_sentence_without_marker_cites_nothing() -> None:
    assert parse_citations("HACKED")[0].citations == ()
    assert marker_numbers("[1-3, 7]") == [1, 2, 3, 7]


sentence = st.from_regex(r"[A-Z][a-z]{1,8}( [a-z]{1,8}){0,5}", fullmatch=True)
style = st.sampled_from(["{s} {m}.", "{s}. {m}", "{s}{m}."])
marker = st.sampled_from(["single", "comma", "adjacent", "lenticular"])


def render(numbers: list[int], kind: str) -> str:
    if not numbers:
        return ""
    if kind == "comma":
        return "[" + ", ".join(map(str, numbers)) + "]"
    if kind == "adjacent":
        return "".join(f"[{n}]" for n in numbers)
    if kind == "lenticular":
        return "".join(f"【{n}】" for n in numbers)
    return f"[{numbers[0]}]" if len(numbers) == 1 else "".join(f"[{n}]" for n in numbers)


@given(
    st.lists(
        st.tuples(
            sentence,
            st.lists(st.integers(1, 30), min_size=1, max_size=3, unique=True),
            style,
            marker,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_parse_recovers_what_was_written(items: list[tuple[str, list[int], str, str]]) -> None:
    text = " ".join(fmt.format(s=s, m=render(ns, kind)) for s, ns, fmt, kind in items)
    parsed = parse_citations(text)
    assert [p.citations for p in parsed] == [tuple(ns) for _, ns, _, _ in items]
    assert [p.text.rstrip(".") for p in parsed] == [s for s, _, _, _ in items]


def test_fragment_url_encodes_the_special_characters() -> None:
    url = text_fragment_url("https://d.example/p.html", "apt-get install a, b & c")
    assert url == "https://d.example/p.html#:~:text=apt%2Dget%20install%20a%2C%20b%20%26%20c"


def test_long_quotes_use_start_and_end() -> None:
    quote = "La liste des dépôts se trouve dans le fichier /etc/apt/sources.list et chaque ligne décrit un dépôt."
    url = text_fragment_url("https://d.example/p.html#apt", quote)
    base, directive = url.split(":~:text=")
    assert base == "https://d.example/p.html#apt"
    start, end = directive.split(",")
    assert unquote(start) == "La liste des dépôts se"
    assert unquote(end) == "chaque ligne décrit un dépôt."


def test_a_fragment_looks_for_what_the_page_writes() -> None:
    """A quote of a definition list reads "ERR_RETURN: If a command…" and one of a table
    row "a | b", which the page writes in separate blocks without ": " or " | ": the whole
    quote as a text directive highlighted nothing (a zsh manual trial)."""
    url = text_fragment_url("https://z.example/Options.html", "ERR_RETURN: If a command fails.")
    assert unquote(url.split(":~:text=")[1]) == "If a command fails."
    url = text_fragment_url(
        "https://d.example/p.html",
        "APT::Periodic::AutocleanInterval: This option covers a feature that apticron "
        "does not have and controls how often obsolete packages are removed.",
    )
    start, end = (unquote(x) for x in url.split(":~:text=")[1].split(","))
    assert start == "This option covers a feature"
    assert end == "often obsolete packages are removed."
    url = text_fragment_url("https://d.example/t.html", "apt-get dist-upgrade | apt full-upgrade")
    start, end = (unquote(x) for x in url.split(":~:text=")[1].split(","))
    assert (start, end) == ("apt-get dist-upgrade", "apt full-upgrade")
    # prose with a time or a link keeps its colons
    assert unquote(
        text_fragment_url("https://d.example/", "Backups run at 02:30 every night.")
    ).endswith("=Backups run at 02:30 every night.")


def test_a_marker_ends_a_sentence_without_final_punctuation() -> None:
    # An extractive answer quotes a line ending in ":" and then a heading.
    text = "Ajoutez ceci au fichier : [1] Gestion de l'énergie [2] The acpid package. [2]"
    parsed = parse_citations(text)
    assert [p.text for p in parsed] == [
        "Ajoutez ceci au fichier :",
        "Gestion de l'énergie",
        "The acpid package.",
    ]
    assert [p.citations for p in parsed] == [(1,), (2,), (2,)]
    # ... but not inside a sentence, before a word in lower case.
    inside = parse_citations("Debian uses apt [1] and dpkg [2].")
    assert [(p.text, p.citations) for p in inside] == [("Debian uses apt and dpkg.", (1, 2))]


def test_a_subscript_in_a_model_s_sentence_is_no_citation() -> None:
    """A model quoting ``argv[0]`` or ``${name[1]}`` had its text cut ("argv", "${name}")
    and a citation it never made added: [0], or [1], a real passage."""
    sentences = parse_citations(
        "The program finds its name in argv[0] when it starts. [1] "
        "Use ${name[1]} for the second element. [2] Set a[1]=x first[3]."
    )
    assert [(s.text, s.citations) for s in sentences] == [
        ("The program finds its name in argv[0] when it starts.", (1,)),
        ("Use ${name[1]} for the second element.", (2,)),
        ("Set a[1]=x first.", (3,)),
    ]
