"""Real test corpora: Debian documentation packages, extracted once and cached.

The ``.deb`` files are fetched with ``apt-get download`` into
``<root>/debs`` and unpacked with ``dpkg -x`` into ``<root>/<package>/``, where
``<root>`` is ``$CALANQUE_CORPORA`` or ``~/.cache/calanque-corpora``. Both steps
are idempotent and guarded by a lock file, so parallel test processes
(pytest-xdist, several suites) never collide. Nothing here is committed to the
repository.

    from tests.corpora import handbook_dir
    pages = sorted(handbook_dir("fr-FR").glob("*.html"))
"""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HANDBOOK = "debian-handbook"
FAQ_PACKAGES = {"en": "debian-faq", "fr": "debian-faq-fr"}
REFERENCE_PACKAGES = {"en": "debian-reference-en", "fr": "debian-reference-fr"}
PACKAGING_GUIDE_PDF = "ubuntu-packaging-guide-pdf"
DEVREF_PACKAGES = {"en": "developers-reference", "fr": "developers-reference-fr"}
BASH_DOC = "bash-doc"
MAINT_GUIDE = "maint-guide"
INSTALL_GUIDE = "installation-guide-amd64"
ZSH_DOC = "zsh-doc"
R_DOC_PDF = "r-doc-pdf"
PYTHON_DOC = "python3.11-doc"
EDU_DOC_FR = "debian-edu-doc-fr"
APTITUDE_DOC_FR = "aptitude-doc-fr"
EYES17_FR = "eyes17-manuals-fr"
AMC_DOC_PDF = "auto-multiple-choice-doc-pdf"
# the four R manuals of a user trial (bench/manual.py); the package also ships the
# 3,000-page reference and the internals and extensions manuals, left out
PYTHON_DOC_PARTS = ("tutorial", "faq", "howto")
R_MANUALS = ("R-intro.pdf", "R-admin.pdf", "R-FAQ.pdf", "R-data.pdf")


def cache_root() -> Path:
    """The folder holding every corpus (``$CALANQUE_CORPORA`` overrides the default)."""
    env = os.environ.get("CALANQUE_CORPORA")
    root = Path(env) if env else Path.home() / ".cache" / "calanque-corpora"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _deb_path(debs: Path, package: str) -> Path | None:
    found = sorted(debs.glob(f"{package}_*.deb"))
    return found[-1] if found else None


def _download(debs: Path, package: str) -> Path:
    debs.mkdir(parents=True, exist_ok=True)
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"{package}.deb is not in {debs} and apt-get is missing: copy it there")
    subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
    deb = _deb_path(debs, package)
    if deb is None:
        raise RuntimeError(f"apt-get download {package} did not leave a .deb in {debs}")
    return deb


def corpus_root(package: str) -> Path:
    """The unpacked tree of a Debian package (downloaded and unpacked on first use)."""
    root = cache_root()
    target = root / package
    done = target / ".extracted"
    if done.exists():
        return target
    with _locked(root):
        if done.exists():
            return target
        debs = root / "debs"
        deb = _deb_path(debs, package) or _download(debs, package)
        partial = root / f".{package}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        subprocess.run(["dpkg", "-x", str(deb), str(partial)], check=True, capture_output=True)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        done.write_text(deb.name + "\n", encoding="utf-8")
    return target


def handbook_dir(lang: str) -> Path:
    """HTML folder of the Debian Administrator's Handbook, e.g. ``"fr-FR"`` or ``"en-US"``."""
    path = corpus_root(HANDBOOK) / "usr/share/doc/debian-handbook/html" / lang
    if not path.is_dir():
        raise FileNotFoundError(f"no handbook language {lang!r} under {path.parent}")
    return path


def reference_dir(lang: str) -> Path:
    """Folder of the Debian Reference for ``"en"`` or ``"fr"`` (files ``*.<lang>.html``)."""
    return corpus_root(REFERENCE_PACKAGES[lang]) / "usr/share/debian-reference"


def faq_dir(lang: str) -> Path:
    """Folder of the Debian FAQ for ``"en"`` or ``"fr"`` (files ``*.<lang>.html``)."""
    base = corpus_root(FAQ_PACKAGES[lang]) / "usr/share/doc/debian/FAQ"
    return base / "fr" if lang == "fr" else base


def faq_pdf(lang: str) -> Path:
    """The Debian FAQ as one PDF for ``"en"`` or ``"fr"`` (gzipped in its package)."""
    base = corpus_root(FAQ_PACKAGES[lang]) / "usr/share/doc/debian/FAQ"
    return base / f"debian-faq.{lang}.pdf.gz"


def packaging_guide_pdf() -> Path:
    """The Ubuntu Packaging Guide as one PDF, English (gzipped in its package)."""
    folder = corpus_root(PACKAGING_GUIDE_PDF) / f"usr/share/doc/{PACKAGING_GUIDE_PDF}"
    return folder / "ubuntu-packaging-guide.pdf.gz"


def devref_dir(lang: str) -> Path:
    """HTML folder of the Debian Developer's Reference for ``"en"`` or ``"fr"`` (Sphinx
    pages, one per chapter: ``pkgs.html``, ``best-pkging-practices.html``…)."""
    base = corpus_root(DEVREF_PACKAGES[lang]) / "usr/share/developers-reference"
    return base / "fr" if lang == "fr" else base


def install_guide_dir(lang: str) -> Path:
    """HTML folder of the Debian Installation Guide for amd64 in ``"en"`` or ``"fr"`` (96
    DocBook pages a language, the same file names in both: ``ch06s03.html``…)."""
    return corpus_root(INSTALL_GUIDE) / f"usr/share/doc/{INSTALL_GUIDE}" / lang


def zsh_manual_dir() -> Path:
    """The Z Shell Manual, English only, as texi2any wrote it: ``index.html`` and a page a
    node (186 files, most of them one-line redirections), from zsh-doc."""
    return corpus_root(ZSH_DOC) / "usr/share/doc/zsh-common/html"


def r_manuals_dir() -> Path:
    """Four of the R manuals as PDFs, English only (:data:`R_MANUALS`: An Introduction to
    R, Installation and Administration, the R FAQ, Data Import/Export; 35 to 105 pages
    each), from r-doc-pdf, in a folder of their own with an ``index.html`` linking them."""
    manuals = corpus_root(R_DOC_PDF) / "usr/share/R/doc/manual"  # takes the lock itself

    def fill(site: Path) -> list[str]:
        for name in R_MANUALS:
            shutil.copyfile(manuals / name, site / name)
        return list(R_MANUALS)

    return _site_folder("r-manuals-site", "R manuals", fill)


def python_docs_dir() -> Path:
    """Python 3.11's Tutorial, FAQ and HOWTOs (46 Sphinx pages, English only, with their
    navigation bars, sidebars and code blocks), from python3.11-doc, in a folder of their own
    with an ``index.html`` linking them. Their links to the rest of the documentation
    (the library reference, the glossary…) lead nowhere, as on a partial mirror."""
    html = corpus_root(PYTHON_DOC) / "usr/share/doc/python3.11/html"  # takes the lock itself

    def fill(site: Path) -> list[str]:
        for part in PYTHON_DOC_PARTS:
            shutil.copytree(html / part, site / part, dirs_exist_ok=True)
        return [f"{part}/index.html" for part in PYTHON_DOC_PARTS]

    return _site_folder("python-docs-site", "Python 3.11 documentation", fill)


def french_manuals_dir() -> Path:
    """Two French manuals, French only: the Debian Edu bookworm manual (one DocBook page of
    286 kB with its screenshots, from debian-edu-doc-fr) and aptitude's user manual (61
    DocBook pages, from aptitude-doc-fr), in a folder of their own with an ``index.html``
    linking them."""
    edu = corpus_root(EDU_DOC_FR) / "usr/share/doc/debian-edu-doc-fr"  # takes the lock
    aptitude = corpus_root(APTITUDE_DOC_FR) / "usr/share/doc/aptitude/html/fr"

    def fill(site: Path) -> list[str]:
        name = "debian-edu-bookworm-manual"
        shutil.copyfile(edu / f"{name}.html", site / f"{name}.html")
        images = edu / f"{name}-images"
        shutil.copytree(
            images,
            site / f"{name}-images",
            dirs_exist_ok=True,
            symlinks=False,
            ignore_dangling_symlinks=True,
        )
        shutil.copytree(aptitude, site / "aptitude", dirs_exist_ok=True)
        return [f"{name}.html", "aptitude/index.html"]

    return _site_folder("french-manuals-site", "Manuels en français", fill)


def pdf_manuals_dir() -> Path:
    """Two long PDF manuals, one in each language: expEYES-17's user manual in French
    (physics experiments with a small measuring box, 99 pages typeset by Sphinx, gzipped in
    eyes17-manuals-fr) and Auto Multiple Choice's manual in English (multiple-choice tests
    written in LaTeX and marked from scans, 101 pages typeset by DocBook, from
    auto-multiple-choice-doc-pdf), in a folder of their own with an ``index.html`` linking
    them."""
    eyes = corpus_root(EYES17_FR) / "usr/share/doc/eyes17/fr/eyes17.pdf.gz"  # takes the lock
    amc = corpus_root(AMC_DOC_PDF) / "usr/share/doc/auto-multiple-choice"

    def fill(site: Path) -> list[str]:
        with gzip.open(eyes) as packed, (site / "eyes17-fr.pdf").open("wb") as out:
            shutil.copyfileobj(packed, out)
        shutil.copyfile(amc / "auto-multiple-choice.en.pdf", site / "auto-multiple-choice.pdf")
        return ["eyes17-fr.pdf", "auto-multiple-choice.pdf"]

    return _site_folder("pdf-manuals-site", "PDF manuals / manuels PDF", fill)


def _site_folder(name: str, title: str, fill: Callable[[Path], list[str]]) -> Path:
    """A folder of the cache that ``fill`` fills (it returns the paths to link), with an
    ``index.html`` linking them, written last: a folder with its index is whole."""
    root = cache_root()
    site = root / name
    index = site / "index.html"
    if index.exists():
        return site
    with _locked(root):
        if not index.exists():
            site.mkdir(parents=True, exist_ok=True)
            links = "".join(f'<li><a href="{path}">{path}</a></li>' for path in fill(site))
            partial = site / ".index.html.partial"
            partial.write_text(
                f"<!doctype html><title>{title}</title><h1>{title}</h1><ul>{links}</ul>",
                encoding="utf-8",
            )
            partial.rename(index)
    return site


def bash_manual_dir() -> Path:
    """The GNU Bash Reference Manual, English only: ``bashref.html`` (one texinfo page of
    866 kB) and ``bashref.pdf`` (196 pages), from bash-doc."""
    return corpus_root(BASH_DOC) / "usr/share/doc/bash"


def maint_guide_pdf() -> Path:
    """The Debian New Maintainers' Guide as one PDF (63 pages), English only, from
    maint-guide."""
    return corpus_root(MAINT_GUIDE) / "usr/share/doc/maint-guide/maint-guide.en.pdf"
