"""Calanque: a self-hosted answer engine with verified citations."""

__version__ = "0.1.0"
