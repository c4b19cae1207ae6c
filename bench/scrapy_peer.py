"""Scrapy, the benchmark peer of ``bench/crawl.py``: fetch + extract + store.

A plain ``CrawlSpider`` follows every link under the given URL prefixes
(``LinkExtractor(allow=...)``); an item pipeline runs trafilatura on each page
(``trafilatura.extract(html, output_format="txt", include_comments=False)``,
the same call a Scrapy user would write) and stores url, title and text in a
SQLite file. Settings are Scrapy's usual ones with the politeness delays off:
``ROBOTSTXT_OBEY=True``, ``AUTOTHROTTLE_ENABLED=False``, ``DOWNLOAD_DELAY=0``,
``CONCURRENT_REQUESTS_PER_DOMAIN=8``.

    python bench/scrapy_peer.py --db /tmp/items.sqlite \\
        --start http://127.0.0.1:8000/fr-FR/index.html --allow http://127.0.0.1:8000/fr-FR/

Prints one JSON object on stdout: ``{"pages", "elapsed_s", "pages_per_s", "errors"}``
(``elapsed_s`` from the spider opening to its closing, as Scrapy's stats record it).
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from typing import Any

import trafilatura
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule

SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "USER_AGENT": "ScrapyPeer (+https://github.com/calanque/calanque)",
    "ITEM_PIPELINES": {"__main__.SQLitePipeline": 300},
}


class HandbookSpider(CrawlSpider):
    """Follows every link under the allowed prefixes; each page becomes an item."""

    name = "handbook"

    def __init__(self, start: list[str], allow: list[str], **kwargs: Any) -> None:
        self.start_urls = start
        self.rules = (
            Rule(
                LinkExtractor(allow=[f"^{re.escape(p)}" for p in allow]),
                callback="parse_page",
                follow=True,
            ),
        )
        super().__init__(**kwargs)

    def parse_start_url(self, response: Response, **kwargs: Any) -> Iterator[dict[str, str]]:
        yield from self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[dict[str, str]]:
        yield {"url": response.url, "html": response.text}


class SQLitePipeline:
    """Extracts the main text with trafilatura and stores it in SQLite."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SQLitePipeline:
        return cls(crawler.settings.get("PEER_DB"))

    def open_spider(self) -> None:
        self.db = sqlite3.connect(self.db_path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS pages (url TEXT PRIMARY KEY, title TEXT, text TEXT)"
        )

    def process_item(self, item: dict[str, str]) -> dict[str, str]:
        html = item["html"]
        text = trafilatura.extract(html, output_format="txt", include_comments=False) or ""
        found = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
        title = found.group(1).strip() if found else ""
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", (item["url"], title, text))
        self.db.commit()
        return {"url": item["url"]}

    def close_spider(self) -> None:
        self.db.close()


def run(start: list[str], allow: list[str], db: str) -> dict[str, Any]:
    """Crawl and return the summary read from Scrapy's stats."""
    process = CrawlerProcess({**SETTINGS, "PEER_DB": db})
    crawler = process.create_crawler(HandbookSpider)
    process.crawl(crawler, start=start, allow=allow)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    elapsed = (stats["finish_time"] - stats["start_time"]).total_seconds()
    with sqlite3.connect(db) as conn:
        pages = int(conn.execute("SELECT count(*) FROM pages").fetchone()[0])
    errors = sum(v for k, v in stats.items() if k.startswith("downloader/exception_type_count/"))
    return {
        "pages": pages,
        "items": int(stats.get("item_scraped_count", 0)),
        "elapsed_s": round(elapsed, 3),
        "pages_per_s": round(pages / elapsed, 2) if elapsed else 0.0,
        "errors": int(errors),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", action="append", required=True, help="a start URL (repeat)")
    parser.add_argument("--allow", action="append", required=True, help="a URL prefix (repeat)")
    parser.add_argument("--db", required=True, help="SQLite file that receives the items")
    args = parser.parse_args(argv)
    json.dump(run(args.start, args.allow, args.db), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
