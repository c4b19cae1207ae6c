"""robots.txt: one test per RFC 9309 behaviour (the ones Google's robots_test.cc covers), then ours."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protego import Protego

from calanque.collect.robots import (
    MAX_ROBOTS_BYTES,
    PathPattern,
    normalize_path,
    parse_robots,
    url_path,
)

SITE = "https://example.org"


def allowed(robots: str, path: str, agent: str = "CalanqueBot") -> bool:
    return parse_robots(robots).decide(SITE + path, agent).allowed


# --------------------------------------------------------------------------- line syntax


def test_empty_file_allows_everything() -> None:
    assert allowed("", "/anything")
    assert allowed("", "", agent="")


def test_field_names_are_case_insensitive() -> None:
    for ua, allow, disallow in [
        ("USER-AGENT", "ALLOW", "DISALLOW"),
        ("user-agent", "allow", "disallow"),
        ("UsEr-AgEnT", "aLlOw", "DiSaLlOw"),
    ]:
        robots = f"{ua}: CalanqueBot\n{allow}: /open/\n{disallow}: /\n"
        assert allowed(robots, "/open/page")
        assert not allowed(robots, "/closed/page")


def test_unknown_field_names_are_ignored() -> None:
    assert allowed("robot: CalanqueBot\nforbid: /\n", "/page")


def test_missing_colon_is_accepted_google_extension() -> None:
    assert not allowed("user-agent CalanqueBot\ndisallow /\n", "/page")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_line_ending_is_a_line_break(newline: str) -> None:
    robots = newline.join(["User-agent: CalanqueBot", "Allow: /a", "", "Disallow: /"])
    assert allowed(robots, "/a/b")
    assert not allowed(robots, "/b")


def test_last_line_without_newline_counts() -> None:
    assert not allowed("User-agent: *\nDisallow: /private", "/private/x")


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b"\xef\xbb", b"\xef"])
def test_byte_order_mark_is_skipped(bom: bytes) -> None:
    rules = parse_robots(bom + b"User-agent: *\nDisallow: /private\n")
    assert not rules.decide(SITE + "/private").allowed


def test_comments_are_ignored() -> None:
    robots = "User-agent: CalanqueBot\n# Disallow: /\nDisallow: /drafts#/notes\nAllow: /\n"
    assert allowed(robots, "/notes")
    assert not allowed(robots, "/drafts/1")


# --------------------------------------------------------------------------- groups and agents


def test_rules_outside_a_group_are_ignored() -> None:
    robots = "Disallow: /early/\n\nUser-agent: CalanqueBot\nDisallow: /late/\n"
    assert allowed(robots, "/early/x")
    assert not allowed(robots, "/late/x")


def test_consecutive_user_agent_lines_form_one_group_even_across_blank_lines() -> None:
    robots = "User-agent: OtherBot\n\nUser-agent: CalanqueBot\nDisallow: /shared/\n"
    assert not allowed(robots, "/shared/x")
    assert not allowed(robots, "/shared/x", agent="OtherBot")


def test_allow_or_disallow_line_ends_the_user_agent_run() -> None:
    robots = "User-agent: OtherBot\nDisallow: /a/\nUser-agent: CalanqueBot\nDisallow: /b/\n"
    assert allowed(robots, "/a/x")
    assert not allowed(robots, "/b/x")


def test_groups_naming_the_same_agent_are_merged() -> None:
    robots = (
        "User-agent: CalanqueBot\nDisallow: /\nAllow: /one/\n"
        "User-agent: OtherBot\nDisallow: /\n"
        "User-agent: calanquebot\nAllow: /two/\n"
    )
    assert allowed(robots, "/one/x") and allowed(robots, "/two/x")
    assert not allowed(robots, "/three/x")
    assert not allowed(robots, "/two/x", agent="OtherBot")


@pytest.mark.parametrize(
    "unknown", ["Sitemap: https://example.org/s.xml", "foo: bar", "Noindex: /"]
)
def test_a_group_is_not_ended_by_an_unknown_or_other_line(unknown: str) -> None:
    robots = f"User-agent: OtherBot\n{unknown}\nUser-agent: CalanqueBot\nDisallow: /private/\n"
    assert not allowed(robots, "/private/x", agent="OtherBot")
    assert not allowed(robots, "/private/x")


def test_crawl_delay_is_a_group_member_that_ends_the_user_agent_run() -> None:
    robots = "User-agent: *\nCrawl-delay: 5\nUser-agent: BadBot\nDisallow: /\n"
    assert allowed(robots, "/page")
    assert not allowed(robots, "/page", agent="BadBot")


def test_rules_after_an_unknown_line_stay_in_the_group() -> None:
    robots = "User-agent: CalanqueBot\nDisallow: /a/\nfoo: bar\nSitemap: /s.xml\nDisallow: /b/\n"
    assert not allowed(robots, "/b/x")


@pytest.mark.parametrize("written", ["CalanqueBot", "calanquebot", "CALANQUEBOT", "cAlAnQuEbOt"])
def test_product_token_matches_case_insensitively(written: str) -> None:
    robots = f"User-agent: *\nDisallow: /\nUser-agent: {written}\nAllow: /\n"
    assert allowed(robots, "/page")
    assert allowed(robots, "/page", agent="calanqueBOT")


def test_named_group_alone_applies_not_the_star_group() -> None:
    robots = "User-agent: *\nDisallow: /star-only/\nUser-agent: CalanqueBot\nDisallow: /ours/\n"
    assert allowed(robots, "/star-only/page")
    assert not allowed(robots, "/ours/page")


def test_star_group_applies_when_no_group_names_the_agent() -> None:
    robots = "User-agent: *\nDisallow: /\nUser-agent: OtherBot\nAllow: /\n"
    assert not allowed(robots, "/page")
    assert allowed(robots, "/page", agent="OtherBot")


def test_no_matching_group_and_no_star_group_allows() -> None:
    robots = "User-agent: OtherBot\nDisallow: /\nUser-agent: ThirdBot\nDisallow: /\n"
    assert allowed(robots, "/page")


def test_user_agent_value_is_cut_at_the_first_space() -> None:
    robots = "User-agent: *\nDisallow: /\nUser-agent: Calanque Bot\nAllow: /docs/\nDisallow: /\n"
    assert allowed(robots, "/docs/x", agent="Calanque")
    assert allowed(robots, "/docs/x", agent="calanque")
    assert not allowed(robots, "/docs/x", agent="Calanque Bot")  # not a product token
    assert not allowed(robots, "/docs/x")  # CalanqueBot is not named: the * group applies


def test_user_agent_value_is_cut_at_the_first_invalid_character() -> None:
    robots = "User-agent: CalanqueBot/2.0\nDisallow: /v2/\n"
    assert not allowed(robots, "/v2/x")


def test_a_name_is_not_matched_as_a_prefix_of_ours() -> None:
    assert allowed("User-agent: Calanque\nDisallow: /\n", "/page")


def test_full_user_agent_header_is_reduced_to_its_product_token() -> None:
    robots = "User-agent: CalanqueBot\nDisallow: /\n"
    assert not allowed(robots, "/page", agent="CalanqueBot/0.1 (+https://example.net/bot)")


# --------------------------------------------------------------------------- matching


def test_paths_are_case_sensitive() -> None:
    assert not allowed("User-agent: *\nDisallow: /docs/\n", "/docs/a")
    assert allowed("User-agent: *\nDisallow: /Docs/\n", "/docs/a")


@pytest.mark.parametrize(
    ("robots", "path", "expected"),
    [
        ("Disallow: /a/page.html\nAllow: /a/", "/a/page.html", False),
        ("Allow: /a/page.html\nDisallow: /a/", "/a/page.html", True),
        ("Allow: /a/page.html\nDisallow: /a/", "/a/", False),
        ("Disallow: /a\nAllow: /a/", "/a", False),
        ("Disallow: /a\nAllow: /a/", "/a/", True),
        ("Allow: /item\nDisallow: /*.pdf", "/item.pdf", False),
        ("Allow: /item\nDisallow: /*.pdf", "/item", True),
        ("Allow: /a/item.\nDisallow: /*.pdf", "/a/item.pdf", True),
        ("Allow: /a/item.\nDisallow: /*.pdf", "/a/other.pdf", False),
        ("Allow: /p\nDisallow: /", "/page", True),
        ("Allow: /$\nDisallow: /", "/", True),
        ("Allow: /$\nDisallow: /", "/page", False),
    ],
)
def test_longest_match_wins(robots: str, path: str, expected: bool) -> None:
    assert allowed("User-agent: CalanqueBot\n" + robots + "\n", path) is expected


@pytest.mark.parametrize(
    ("rules", "path"),
    [
        ("Disallow: /\nAllow: /", "/a/b"),
        ("Disallow: /a/b\nAllow: /a/b", "/a/b"),
        ("Allow: /dir\nDisallow: /dir", "/dir/page"),
        ("Disallow: /*.pdf\nAllow: /a/b.p", "/a/b.pdf"),  # same length: 6 octets each
    ],
)
def test_allow_wins_a_tie(rules: str, path: str) -> None:
    assert allowed("User-agent: CalanqueBot\n" + rules + "\n", path)


def test_empty_disallow_allows() -> None:
    assert allowed("User-agent: *\nDisallow:\n", "/anything")
    assert allowed("User-agent: *\nDisallow: \nAllow: \n", "/anything")


@pytest.mark.parametrize("status", [200, 503, None])
def test_robots_txt_itself_is_always_allowed(status: int | None) -> None:
    rules = parse_robots("User-agent: *\nDisallow: /\n", status=status)
    assert rules.decide(SITE + "/robots.txt").allowed
    assert not rules.decide(SITE + "/robots.txt.bak").allowed


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("/fish", ["/fish", "/fish.html", "/fish/salmon", "/fishheads", "/fish.html?id=1"],
         ["/Fish.asp", "/catfish", "/?id=fish", "/"]),
        ("/fish*", ["/fish", "/fish.html", "/fishheads/yummy.html"], ["/Fish", "/catfish"]),
        ("/fish/", ["/fish/", "/fish/?salmon", "/fish/salmon.html"], ["/fish", "/fish.html"]),
        ("/*.php", ["/a.php", "/f/a.php?x", "//f/any.php.file.html", "/a.php/", "/i?f=a.php/"],
         ["/php/", "/index?php", "/windows.PHP"]),
        ("/*.php$", ["/a.php", "/folder/a.php"],
         ["/a.php?x", "/a.php/", "/a.php5", "/php/", "/a?php", "/aaaphpaaa", "//w.PHP"]),
        ("/fish*.php", ["/fish.php", "/fishheads/catfish.php?p"], ["/Fish.PHP"]),
        ("/a/*/c", ["/a/b/c", "/a//c", "/a/x/y/c/d"], ["/a/c", "/a/b/d"]),
        ("/a/b$", ["/a/b"], ["/a/b/", "/a/bc", "/a/b?x"]),
        ("*", ["/", "/anything"], []),
    ],
)  # fmt: skip
def test_wildcards_and_end_anchor(
    pattern: str, matching: list[str], not_matching: list[str]
) -> None:
    robots = f"User-agent: CalanqueBot\nDisallow: /\nAllow: {pattern}\n"
    for path in matching:
        assert allowed(robots, path), path
    for path in not_matching:
        assert not allowed(robots, path), path


def test_query_with_reserved_characters_matches_verbatim() -> None:
    target = "/search?q=a&next=http://example.net/?x&y"
    robots = f"User-agent: *\nDisallow: /\nAllow: {target}\n"
    assert allowed(robots, target)


# --------------------------------------------------------------------------- percent-encoding


@pytest.mark.parametrize(
    ("pattern", "path"),
    [
        ("/lib/%62%61%7A", "/lib/baz"),  # unreserved escapes are decoded
        ("/lib/baz", "/lib/%62%61%7A"),
        ("/café", "/caf%C3%A9"),  # raw UTF-8 in the pattern == percent-encoded URL
        ("/caf%C3%A9", "/café"),  # and the other way round
        ("/ツ", "/%E3%83%84"),
        ("/a%2fb", "/a%2Fb"),  # hex case is not significant
        ("/a%7e", "/a~"),
        ("/with space", "/with%20space"),
    ],
)
def test_percent_encoding_is_normalised_on_both_sides(pattern: str, path: str) -> None:
    robots = f"User-agent: *\nDisallow: /\nAllow: {pattern}\n"
    assert allowed(robots, path)


def test_encoded_reserved_characters_stay_distinct() -> None:
    robots = "User-agent: *\nDisallow: /a%2Fb\n"
    assert allowed(robots, "/a/b")
    assert not allowed(robots, "/a%2fb")


def test_literal_dollar_and_star_are_matched_through_their_escapes() -> None:
    robots = "User-agent: *\nDisallow: /price-%24\nDisallow: /star-%2A\n"
    assert not allowed(robots, "/price-$")
    assert not allowed(robots, "/star-*")
    assert allowed(robots, "/star-x")


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("", "/"),
        ("https://example.org", "/"),
        ("https://example.org/a/b?c=https://d.e/#frag", "/a/b?c=https://d.e/"),
        ("example.org/a;b#c", "/a;b"),
        ("example.org?a", "/?a"),
        ("/a", "/a"),
        ("//host/b/c", "/b/c"),
    ],
)
def test_url_path_keeps_path_params_and_query(url: str, path: str) -> None:
    assert url_path(url) == path


def test_normalize_path_keeps_wildcards_only_in_patterns() -> None:
    assert normalize_path("/a*b$", pattern=True) == "/a*b$"
    assert normalize_path("/a*b$") == "/a%2Ab%24"


# --------------------------------------------------------------------------- HTTP status and size


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451, 301])
def test_client_error_or_no_file_allows_everything(status: int) -> None:
    decision = parse_robots("User-agent: *\nDisallow: /\n", status=status).decide(SITE + "/x")
    assert decision.allowed
    assert decision.signal == "robots.txt"
    assert decision.rule == f"robots.txt returned HTTP {status}: everything allowed"


@pytest.mark.parametrize("status", [500, 502, 503, 599])
def test_server_error_disallows_everything(status: int) -> None:
    decision = parse_robots("", status=status).decide(SITE + "/x")
    assert not decision.allowed
    assert decision.rule == f"robots.txt unreachable (HTTP {status}): everything disallowed"


@pytest.mark.parametrize("status", [None, 0])
def test_network_error_disallows_everything(status: int | None) -> None:
    decision = parse_robots(b"", status=status).decide(SITE + "/x")
    assert not decision.allowed
    assert decision.rule == "robots.txt unreachable (network error): everything disallowed"


def test_parses_at_least_500_kib() -> None:
    filler = "# " + "x" * 97 + "\n"
    body = "User-agent: *\n" + filler * (MAX_ROBOTS_BYTES // 100 - 2) + "Disallow: /late/\n"
    assert len(body.encode()) <= MAX_ROBOTS_BYTES
    rules = parse_robots(body)
    assert not rules.truncated
    assert not rules.decide(SITE + "/late/x").allowed


def test_two_megabyte_file_is_cut_at_500_kib_in_time() -> None:
    rule_lines = "".join(f"Disallow: /dir{i}/\n" for i in range(150_000))
    body = "User-agent: *\n" + rule_lines
    assert len(body) > 2_000_000
    rules = parse_robots(body.encode())
    assert rules.truncated
    assert not rules.decide(SITE + "/dir10/x").allowed
    assert rules.decide(SITE + "/dir149999/x").allowed  # past the limit: not read


def test_cut_never_leaves_a_partial_rule() -> None:
    head = "User-agent: *\n" + "#" * (MAX_ROBOTS_BYTES - 14 - 5) + "\n"
    rules = parse_robots(head + "Allow: /abcdef\nDisallow: /\n")  # cut inside "Allow: /abcdef"
    assert rules.truncated
    assert rules.decide(SITE + "/a").allowed  # no "Allow: /a" ghost; nothing matched


def test_over_long_line_is_cut_like_google_without_crashing() -> None:
    long_path = "/x/" + "a" * 20_000
    robots = f"User-agent: *\nDisallow: {long_path}/tail\nDisallow: /after/\n"
    rules = parse_robots(robots)
    cut_at = 16_663 - len("Disallow: ")
    assert not rules.decide(SITE + long_path[:cut_at] + "/other").allowed
    assert rules.decide(SITE + "/x/b").allowed
    assert not rules.decide(SITE + "/after/1").allowed


def test_garbage_parses_to_no_rules() -> None:
    rules = parse_robots(bytes(range(256)) * 100)
    assert rules.decide(SITE + "/x").allowed


# --------------------------------------------------------------------------- other records


def test_crawl_delay_for_our_agent_else_star() -> None:
    robots = (
        "User-agent: *\nCrawl-delay: 10\n\nUser-agent: CalanqueBot\nCrawl-delay: 2.5\nDisallow:\n"
    )
    rules = parse_robots(robots)
    assert rules.crawl_delay() == 2.5
    assert rules.crawl_delay("OtherBot") == 10
    assert parse_robots("User-agent: *\nCrawl-delay: soon\n").crawl_delay() is None
    assert parse_robots("").crawl_delay() is None


def test_sitemaps_anywhere_in_the_file() -> None:
    robots = (
        "Sitemap: https://example.org/a.xml\nUser-agent: *\nDisallow: /x\n"
        "Sitemap: https://example.org/b.xml\n"
    )
    assert parse_robots(robots).sitemaps == (
        "https://example.org/a.xml",
        "https://example.org/b.xml",
    )


def test_decision_names_the_line_that_decided() -> None:
    rules = parse_robots("User-agent: CalanqueBot\nDisallow: /private/\nAllow: /private/ok\n")
    refused = rules.decide(SITE + "/private/x")
    assert (refused.allowed, refused.signal, refused.rule) == (
        False,
        "robots.txt",
        "Disallow: /private/",
    )
    assert rules.decide(SITE + "/private/ok").rule == "Allow: /private/ok"
    assert rules.decide(SITE + "/public").rule == "no rule matched"
    assert refused.decided_at is None


# --------------------------------------------------------------------------- AI-usage lines


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        ("Content-Usage: ai=n", True),
        ("Content-Usage: ai-input=n", True),
        ("Content-Usage: search=n", True),
        ("Content-Usage: train-ai=n", False),
        ("Content-Usage: train-ai=n, train-genai=n", False),
        ("Content-Usage: bots=n", True),
        ("Content-Usage: bots=n, search=y, ai=y", False),
        ("Content-Usage: ai=y", False),
    ],
)
def test_content_usage_refuses_search_and_ai_input_not_training(line: str, refused: bool) -> None:
    decision = parse_robots(f"User-agent: *\n{line}\nAllow: /\n").decide(SITE + "/page")
    assert decision.allowed is not refused
    if refused:
        assert (decision.signal, decision.rule) == ("content-usage", line)


def test_content_usage_with_a_path_applies_under_that_path_only() -> None:
    robots = "User-agent: *\nContent-Usage: train-ai=n\nContent-Usage: /members/ ai=n\n"
    rules = parse_robots(robots)
    assert rules.decide(SITE + "/blog/post").allowed
    refused = rules.decide(SITE + "/members/page")
    assert (refused.allowed, refused.rule) == (False, "Content-Usage: /members/ ai=n")


def test_content_usage_longest_path_wins() -> None:
    robots = "User-agent: *\nContent-Usage: ai=n\nContent-Usage: /open/ ai=y\n"
    rules = parse_robots(robots)
    assert not rules.decide(SITE + "/closed").allowed
    assert rules.decide(SITE + "/open/page").allowed


def test_content_usage_before_any_group_applies_to_everyone() -> None:
    rules = parse_robots("Content-Usage: search=n\n\nUser-agent: CalanqueBot\nDisallow: /x\n")
    assert not rules.decide(SITE + "/page").allowed
    assert not rules.decide(SITE + "/page", "OtherBot").allowed


@pytest.mark.parametrize(
    ("signal", "refused"),
    [
        ("ai-input=no", True),
        ("search=yes, ai-input=no", True),
        ("search=no, ai-input=yes", True),
        ("search=yes, ai-train=no", False),
        ("ai-train=no", False),
    ],
)
def test_content_signal_refuses_ai_input_or_search(signal: str, refused: bool) -> None:
    robots = f"User-Agent: *\nContent-Signal: {signal}\nAllow: /\n"
    decision = parse_robots(robots).decide(SITE + "/page")
    assert decision.allowed is not refused
    if refused:
        assert (decision.signal, decision.rule) == ("content-signal", f"Content-Signal: {signal}")


def test_disallow_is_reported_before_a_content_signal() -> None:
    robots = "User-Agent: *\nContent-Signal: ai-input=no\nDisallow: /private/\n"
    assert parse_robots(robots).decide(SITE + "/private/x").signal == "robots.txt"


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000), st.text(max_size=200))
def test_parse_and_decide_never_crash(robots: str, path: str) -> None:
    rules = parse_robots(robots)
    decision = rules.decide(SITE + "/" + path)
    assert isinstance(decision.allowed, bool)
    rules.crawl_delay()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_parse_never_crashes_on_bytes(robots: bytes) -> None:
    parse_robots(robots).decide(SITE + "/x")


_SAFE_TAIL = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="#"), max_size=50)


@settings(max_examples=300, deadline=None)
@given(_SAFE_TAIL)
def test_a_path_under_a_disallow_with_no_allow_is_refused(tail: str) -> None:
    rules = parse_robots("User-agent: *\nDisallow: /x\n")
    assert not rules.decide(SITE + "/x" + tail).allowed


_PATH = st.text(alphabet="abc/.-_*$", min_size=1, max_size=8).map(lambda s: "/" + s)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["Allow", "Disallow"]), _PATH), max_size=6),
    st.text(alphabet="abc/.-_", max_size=10),
)
def test_agrees_with_protego_on_plain_files(rules: list[tuple[str, str]], path: str) -> None:
    """protego is the reference where it is RFC 9309-correct: one group, ASCII patterns."""
    robots = "User-agent: *\n" + "".join(f"{kind}: {value}\n" for kind, value in rules)
    url = SITE + "/" + path
    assert parse_robots(robots).decide(url).allowed == Protego.parse(robots).can_fetch(
        url, "CalanqueBot"
    )


def test_path_pattern_specificity_counts_octets() -> None:
    assert PathPattern.compile("/fish*").length == 6
    assert PathPattern.compile("/é").length == len("/%C3%A9")
