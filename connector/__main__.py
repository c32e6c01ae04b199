"""`python -m connector` runs the same command-line tool as the `prepaid` script."""

from __future__ import annotations

from connector.cli import main

if __name__ == "__main__":
    main()
