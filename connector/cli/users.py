"""`prepaid users hash-password`: turn a password into the PREPAID_ADMIN_PASSWORD_HASH value.

The password is read from a hidden prompt (asked twice) or, for scripts, from stdin with
`--stdin`; it never appears in the shell history or the process list. Only the hash is printed.
"""

from __future__ import annotations

import sys

import typer

from connector.cli.output import print_json
from connector.errors import UserInputError
from connector.web.security import hash_password

__all__ = ["MIN_PASSWORD_LENGTH", "users_app"]

MIN_PASSWORD_LENGTH = 12
users_app = typer.Typer(no_args_is_help=True)


@users_app.callback()
def _users() -> None:
    """Dashboard users."""


@users_app.command("hash-password")
def hash_password_command(
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input (one line)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"password_hash": ...}.'),
) -> None:
    """Print the argon2 hash of a password, for PREPAID_ADMIN_PASSWORD_HASH."""
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserInputError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH} "
            "(a few random words work well)"
        )
    hashed = hash_password(password)
    if as_json:
        print_json({"password_hash": hashed})
    else:
        print(hashed)
