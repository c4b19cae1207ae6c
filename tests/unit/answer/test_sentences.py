import json
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calanque.answer.sentences import (
    as_shown,
    looks_like_code,
    split_sentences,
    strip_markers,
    unwrapped,
)


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_offsets_point_into_the_text_with_a_base() -> None:
    text = "  Première phrase. Deuxième phrase !\nTroisième ?"
    spans = split_sentences(text, base=100)
    assert [s.text for s in spans] == ["Première phrase.", "Deuxième phrase !", "Troisième ?"]
    for span in spans:
        assert text[span.start - 100 : span.end - 100] == span.text


def test_abbreviations_initials_and_numbers_do_not_split() -> None:
    assert texts("M. Dupont a écrit la p. 12 de la version 3.2. Il a fini.") == [
        "M. Dupont a écrit la p. 12 de la version 3.2.",
        "Il a fini.",
    ]
    assert texts("Use a tool, e.g. Apt or J. Smith's dpkg. Then reboot.") == [
        "Use a tool, e.g. Apt or J. Smith's dpkg.",
        "Then reboot.",
    ]


def test_etc_ends_a_sentence_only_before_a_capital() -> None:
    assert texts("Les fichiers, dossiers, etc. sont copiés. Ensuite, etc. Fin.") == [
        "Les fichiers, dossiers, etc. sont copiés.",
        "Ensuite, etc.",
        "Fin.",
    ]


def test_a_spaced_ellipsis_inside_a_sentence_does_not_end_it() -> None:
    text = "If any server (ftp.gnu.org, savannah.gnu.org, . . .) seems down, wait. . . . Then call."
    assert texts(text) == [
        "If any server (ftp.gnu.org, savannah.gnu.org, . . .) seems down, wait. . . .",
        "Then call.",
    ]


def test_paths_and_command_lines_stay_whole() -> None:
    text = "Éditez /etc/apt/sources.list. Puis :\n$ sudo apt-get install x. Y\napt-get install nom-du-paquet"
    assert texts(text) == [
        "Éditez /etc/apt/sources.list.",
        "Puis :",
        "$ sudo apt-get install x. Y",
        "apt-get install nom-du-paquet",
    ]
    assert looks_like_code("dpkg -i paquet.deb")
    assert not looks_like_code("Le paquet est installé.")


def test_an_interpreters_prompt_opens_a_line_of_code() -> None:
    """A line typed at Python's, R's or a database shell's prompt is code, as one typed at
    a shell's ``$`` is (Python's tutorial shows ``>>> import glob`` after the sentence
    that announces it); prose that only starts with a capital word is not."""
    for line in (">>> import glob", "R> x <- c(1, 2)", "sqlite> .tables", "In [3]: x = 1"):
        assert looks_like_code(line), line
    assert not looks_like_code("The glob module provides a function for file lists:")
    assert not looks_like_code("Python is a language.")


def test_markers_stay_with_their_sentence() -> None:
    spans = split_sentences("Il est installé. [1][2] Ensuite on redémarre [3].", markers=True)
    assert [s.text for s in spans] == ["Il est installé. [1][2]", "Ensuite on redémarre [3]."]
    assert strip_markers(spans[0].text) == "Il est installé."


words = st.text(alphabet="abcdeéXYZ019 ./-", min_size=1, max_size=12)


@given(
    st.lists(st.tuples(words, st.sampled_from([". ", "! ", "? ", "\n", " ", ".\n"])), max_size=12)
)
def test_every_span_is_an_exact_slice(parts: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in parts)
    spans = split_sentences(text, base=7)
    previous_end = 0
    for span in spans:
        assert text[span.start - 7 : span.end - 7] == span.text
        assert span.text == span.text.strip() and span.text
        assert span.start - 7 >= previous_end
        previous_end = span.end - 7


def test_the_programs_that_open_a_command_line_are_data():
    """Each program listed in answer/data/code_lines.json opens a command line without a
    prompt; a word that only starts like one does not."""
    data = resources.files("calanque.answer").joinpath("data/code_lines.json").read_text("utf-8")
    programs = json.loads(data)["programs"]
    assert programs
    for program in programs:
        assert looks_like_code(f"{program} update"), program
        assert split_sentences(f"{program} update. Then reboot.")[0].text == (
            f"{program} update. Then reboot."
        )
    assert not looks_like_code("aptitude is a front end. It helps.")


def test_prose_that_names_an_operator_is_still_split_into_sentences():
    """The Bash manual's ``set -e``: a paragraph that mentions ``&&`` or ``>`` in its words
    is prose, not a command line kept whole (it became one 874-character "sentence", too
    long to be quoted: the answer to "which option exits when a command fails" was lost)."""
    text = (
        "Exit immediately if a pipeline returns a non-zero status. The shell does not exit if"
        " the command that fails is part of any command executed in a && or || list except"
        " the command following the final && or ||. Output goes to the file named after >"
        " when one is given, as the redirection section explains."
    )
    assert texts(text) == [
        "Exit immediately if a pipeline returns a non-zero status.",
        "The shell does not exit if the command that fails is part of any command executed"
        " in a && or || list except the command following the final && or ||.",
        "Output goes to the file named after > when one is given, as the redirection section"
        " explains.",
    ]
    # the Debian Policy's, a footnote's number after it
    policy = (
        "The relations allowed are <<, <=, =, >= and >> for strictly earlier, earlier or"
        " equal, exactly equal, later or equal and strictly later, respectively. The"
        " exception is the Provides field, for which only = is allowed. 2"
    )
    assert texts(policy)[1] == "The exception is the Provides field, for which only = is allowed."
    quoted = (
        "Redirection with > truncates the file first; use >> to append instead, as the"
        " section on redirections explains in detail.)"
    )
    assert not looks_like_code(quoted)
    # a command line of many words, few of them plain words, stays whole
    assert looks_like_code(
        "gcc -O2 -Wall -o prog main.c util.c && ./prog --verbose --dry-run in.txt > out.log."
    )
    for line in (
        "sudo apt update && sudo apt upgrade && sudo apt autoremove && sudo reboot",
        "cd /tmp && make && sudo make install",
        "./configure --prefix=/usr && make. Then install.",
        "echo deb http://deb.debian.org/debian bookworm main > /etc/apt/sources.list",
        "dpkg -l | grep linux-image",
    ):
        assert looks_like_code(line), line


def test_a_variable_or_a_letter_before_a_period_ends_the_sentence() -> None:
    """The Bash manual's "renamed to $1 … $N. The special parameter # is set to N. The
    return status is zero." was one sentence (and its "…" cut it before "$N"): "N." read
    as an initial. An initial is a capital after a space, before a surname, which no
    function word is."""
    text = (
        "The parameters are renamed to $1 … $N. The special parameter # is set to N. "
        "The return status is zero."
    )
    assert texts(text) == [
        "The parameters are renamed to $1 … $N.",
        "The special parameter # is set to N.",
        "The return status is zero.",
    ]
    assert texts("Written by J. Dupont. Then edited.") == ["Written by J. Dupont.", "Then edited."]
    assert texts("By J. R. R. Tolkien, in 1954.") == ["By J. R. R. Tolkien, in 1954."]
    assert texts("Wait… Then go. Wait... 10 minutes later it came.") == [
        "Wait…",
        "Then go.",
        "Wait...",
        "10 minutes later it came.",
    ]
    # a sign alone makes "N." no initial; a surname, even one that is a word, keeps it one
    assert texts("The last one is $N. Zebras follow.") == ["The last one is $N.", "Zebras follow."]
    assert texts("The column by George F. Will was read. Josquin J. Des Prez wrote.") == [
        "The column by George F. Will was read.",
        "Josquin J. Des Prez wrote.",
    ]
    assert texts("It is set to N. (The default.)") == ["It is set to N.", "(The default.)"]


PRESEED = """# Depending on what software you choose to install, or if things go wrong
# during the installation process, it's possible that other questions may
# be asked. You can preseed those too, of course. To get a list of every
# possible question that could be asked during an install, do an
# installation, and then run these commands:
#   debconf-get-selections --installer > file
#d-i netcfg/get_hostname string unassigned-hostname
# One comment that ends.
# And another one, whole."""


def test_a_comment_s_prose_runs_on_over_its_lines() -> None:
    """Each line of a script's comment was a sentence: answers quoted "# be asked. You can
    preseed those too, of course. To get a list of every" and stopped there."""
    spans = split_sentences(PRESEED, base=7)
    assert all(PRESEED[s.start - 7 : s.end - 7] == s.text for s in spans)
    texts = [s.text for s in spans]
    assert texts[:3] == [
        "Depending on what software you choose to install, or if things go wrong\n"
        "# during the installation process, it's possible that other questions may\n# be asked.",
        "You can preseed those too, of course.",
        "To get a list of every\n# possible question that could be asked during an install, "
        "do an\n# installation, and then run these commands:",
    ]
    # a command shown in a comment, and code commented out, stay lines of their own; so do
    # comment lines whose sentences end where their lines do
    assert texts[3:] == [
        "#   debconf-get-selections --installer > file",
        "#d-i netcfg/get_hostname string unassigned-hostname",
        "# One comment that ends.",
        "# And another one, whole.",
    ]
    assert unwrapped(texts[2]) == (
        "To get a list of every possible question that could be asked during an install, "
        "do an installation, and then run these commands:"
    )
    assert unwrapped(texts[3]) == texts[3]


def test_comment_lines_that_each_end_their_sentence_are_read_once_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A long comment block is read line by line once (a run that does not run on was
    read again from each of its lines: quadratic in a page of comment lines)."""
    from calanque.answer import sentences

    calls = 0
    read = sentences._comment_prose

    def counted(line: str) -> object:
        nonlocal calls
        calls += 1
        return read(line)

    monkeypatch.setattr(sentences, "_comment_prose", counted)
    block = "\n".join(f"# Option {i} is set by the installer." for i in range(2000))
    spans = split_sentences(block)
    assert len(spans) == 2000 and spans[1999].text == "# Option 1999 is set by the installer."
    assert calls <= 2 * 2000


def test_a_quote_is_shown_without_the_page_s_footnote_references() -> None:
    """A page's "[12]" inside a quoted sentence read as a citation of source 12."""
    from calanque.answer.sentences import as_shown

    assert as_shown("… moins de mémoire [2] ou avec moins d'espace disque.") == (
        "… moins de mémoire ou avec moins d'espace disque."
    )
    assert as_shown("du « serveur SSH » [12].") == "du « serveur SSH »."
    assert as_shown("prepend the owner[19] of the variable") == "prepend the owner of the variable"
    assert as_shown("[2] The graphical installer needs 800 MB.") == (
        "The graphical installer needs 800 MB."
    )
    # subscripts, and a job's number before its process id, are the text's own
    for kept in ("its own name (argv[0] in C).", "echo ${name[1]}", "a[1]=x", "[1] 25647"):
        assert as_shown(kept) == kept


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (  # the Debian handbook: a command opens the next sentence, in lower case
            "Mark the packages you don't need anymore. apt-mark auto package will mark the "
            "given package as automatic.",
            2,
        ),
        ("Its man page documents all its other features. ar is a very rudimentary tool.", 2),
        ("Falcot Corp. runs its own repository.", 1),  # a capitalised word: a name's end
        ("HTTPS, FTPS, SFTP, etc. are not supported.", 1),
        ("It costs approx. ten euros, 5 min. later.", 1),
        ("Set it to version 2. then restart it.", 1),  # a number: no sentence's end
        # abbreviations are shorter than a sentence's last word
        ("The avg. load and the dept. head, see figs. below, 5 lbs. more.", 1),
        ("Traduit de l'anglais (trad. de Dupont, sous la dir. de Martin).", 1),
        ("It was translated (trans. by Smith).", 1),
        ("Logs are kept under /var. The daemon rotates them.", 2),
        ("When the LED is lit. The device boots.", 2),
    ],
)
def test_a_sentence_may_open_with_a_command_in_lower_case(text: str, sentences: int) -> None:
    assert len(split_sentences(text)) == sentences


def test_prose_that_opens_with_a_program_s_name_is_no_command_line() -> None:
    prose = (
        "apt-cache search is a very rudimentary tool, basically implementing grep on "
        "package's descriptions. It often returns too many results."
    )
    assert not looks_like_code(prose)
    assert [s.text[:14] for s in split_sentences(prose)] == ["apt-cache sear", "It often retur"]
    assert looks_like_code("apt-get install build-essential devscripts")
    assert looks_like_code("systemctl reload nginx")


def test_a_listing_whose_lines_were_joined_is_shown_one_command_a_line() -> None:
    """A PDF's extraction joins a listing's lines: an answer showed "$ dquilt new foo.patch
    $ dquilt add Makefile" as one command."""
    joined = "$ dquilt new foo2.patch $ dquilt add Makefile $ sed -i -e 's/-lfoo/-lfoo2/g' Makefile"
    assert as_shown(joined).split("\n") == [
        "$ dquilt new foo2.patch",
        "$ dquilt add Makefile",
        "$ sed -i -e 's/-lfoo/-lfoo2/g' Makefile",
    ]
    assert as_shown("$ echo $HOME") == "$ echo $HOME"  # a variable, not a prompt
    assert as_shown("It costs $ 5 or $ 6 a month.") == "It costs $ 5 or $ 6 a month."
    for whole in ("$ 10 a month, $ 20 a year.", '$ echo "total: $ ls"', "$ ls -l $ HOME"):
        assert as_shown(whole) == whole  # an amount, a quoted prompt, a variable
