"""The product's base error and the errors that any layer may raise about configuration.

Every error the product raises on purpose derives from `PrepaidError`; the command line turns
it into one line on stderr and exit code 2 (bad input or configuration) or 1 (a failure).
"""

from __future__ import annotations

__all__ = ["ConfigError", "PrepaidError", "UserInputError"]


class PrepaidError(Exception):
    """Base of every error the product raises on purpose, with a message a person can act on."""

    exit_code = 1


class ConfigError(PrepaidError):
    """A setting is missing or invalid; the message names the variable and a good value."""

    exit_code = 2


class UserInputError(PrepaidError):
    """A command was given input it cannot use (an unknown id, a malformed file, a bad date)."""

    exit_code = 2
