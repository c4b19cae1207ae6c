"""Collect: frontier, fetcher, robots.txt and rights reservations, sitemaps, feeds, files."""
