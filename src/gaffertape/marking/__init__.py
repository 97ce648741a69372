"""Marking capability."""
