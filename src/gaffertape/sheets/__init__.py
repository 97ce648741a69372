"""Sheets capability."""
