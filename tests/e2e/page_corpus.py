"""A small corpus for the web page's tests and screenshots: one long page cut into several
passages (so one page is cited more than once), under ``/docs/``, and a team wiki under
``/wiki/``: two sources, hence two spaces."""

from __future__ import annotations

from tests.e2e.served import WIKI, _page

SECTIONS = {
    "Updating the package lists": [
        "Run apt update to refresh the package lists before any upgrade.",
        "The command apt update downloads the package lists from the mirrors named in "
        "/etc/apt/sources.list and in the files of /etc/apt/sources.list.d.",
        "A mirror is a server that keeps a full copy of the Debian archive.",
        "The lists are kept in /var/lib/apt/lists and are read by every apt command.",
        "When a mirror is slow or out of date, pick another one near you in sources.list.",
        "Signed release files are checked with the keys of the debian-archive-keyring package.",
        "An error about a missing key means the keyring package is too old for the release.",
        "Third-party repositories add their own list file and their own signing key.",
        "Keep third-party repositories to a minimum: each one can replace Debian packages.",
        "After editing sources.list, always run apt update again before installing anything.",
    ],
    "Upgrading installed packages": [
        "To upgrade every installed package, run apt full-upgrade as root after apt update.",
        "The command apt full-upgrade installs the newest versions and may remove packages "
        "when their dependencies require it.",
        "The safer command apt upgrade never removes a package, and may keep some back.",
        "Packages kept back are listed at the end of the output of apt upgrade.",
        "Read the list of packages to remove before you confirm a full upgrade.",
        "Services are restarted by the needrestart tool once their libraries are upgraded.",
        "A reboot is needed after a new kernel is installed by the upgrade.",
        "Unattended upgrades install security updates every day without asking.",
        "Their log is written to /var/log/unattended-upgrades/unattended-upgrades.log.",
        "Plan major release upgrades separately and read the release notes first.",
    ],
    "Cleaning the package cache": [
        "Downloaded package files are kept in /var/cache/apt/archives after installation.",
        "The command apt clean removes every downloaded package file from the cache.",
        "The command apt autoclean removes only the files that can no longer be downloaded.",
        "Packages installed as dependencies and no longer needed are removed with apt autoremove.",
        "A full cache can fill a small root partition on old servers.",
        "Check the space used by the cache with du -sh /var/cache/apt/archives.",
        "Cleaning the cache never removes an installed package.",
        "The next upgrade downloads again whatever it needs from the mirrors.",
        "Proxies such as apt-cacher-ng share one cache between many machines.",
        "A shared cache saves bandwidth when many servers upgrade at the same time.",
    ],
}


def _long_page(title: str, sections: dict[str, list[str]]) -> str:
    body = "".join(
        f"<h2>{heading}</h2>" + "".join(f"<p>{s}</p>" for s in sentences)
        for heading, sentences in sections.items()
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta name="date" content="2025-04-02"></head><body><main><article>'
        f"<h1>{title}</h1>{body}</article></main></body></html>"
    )


PAGES = {
    "/docs/": _page("Server handbook", ["The team's server handbook."], links=("apt.html",)),
    "/docs/apt.html": _long_page("Keeping Debian packages up to date", SECTIONS),
    **WIKI,
}
UPGRADE = "How do I refresh the package lists and upgrade every installed package?"
SSH = "How is a new SSH key pair created?"
