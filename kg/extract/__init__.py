"""Extraction: entity mentions and relations from one parsed document."""
