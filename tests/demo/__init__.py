"""Tests of the demo university."""
