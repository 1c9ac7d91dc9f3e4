"""Mutations, one module per use case family."""
