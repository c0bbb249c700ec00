"""Analyst tools: exporting the data with typed columns (not on any request path)."""
