"""Helpers shared by the tests (real objects built through the real code)."""
