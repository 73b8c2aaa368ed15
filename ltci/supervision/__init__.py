"""Supervision (基金监管): the rule base of suspicious patterns, hits, cases and sanctions, and random sampling."""
