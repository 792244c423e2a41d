"""Authoring tools: lint, coverage, rule docs, cases, catalogue import. The engine never imports this package."""
