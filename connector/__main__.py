"""`python -m connector` runs the same command-line tool as the `prepaid` script."""

from __future__ import annotations

from connector.cli import main

main()
