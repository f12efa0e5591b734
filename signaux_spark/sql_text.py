"""Quoting for SQL text built in Python (`F.expr`, `selectExpr`): one expression as text is one call
to the JVM, where the same expression built from Python columns is one call per function."""

from __future__ import annotations


def identifier(name: str) -> str:
    """A column or field name, quoted whatever characters it holds."""
    return "`" + name.replace("`", "``") + "`"


def string(value: str) -> str:
    """A string literal that reads back exactly as `value` (quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
