"""``ipsentry user …``: accounts from the command line, for whoever runs the installation (the
API's ``/api/v1/users`` needs an admin key; these need only the database).

* ``user create NAME --role … [--enterprise EXTERNAL_ID] [--password]``: a user and its API key
  (printed once);
* ``user set-password NAME [--password-stdin]``: a new console password, asked for twice
  without echo (or read from standard input), under the API's password policy; the user's
  console logins end;
* ``user list``: every account, its role, enterprise, whether it can log in, its live API keys.

Exit code 1: no such user, or the password is refused; 2: bad arguments."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ipsentry.config.settings import get_settings

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ipsentry.service.context import AppContext

app = typer.Typer(help="Users, their console passwords and API keys.", no_args_is_help=True)

console = Console()
err = Console(stderr=True)


@contextmanager
def _context() -> Iterator[AppContext]:
    from ipsentry.service.context import build_context

    context = build_context(get_settings())
    try:
        yield context
    finally:
        context.close()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line, without its line end (``echo secret | …`` adds one).
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    return typer.prompt("new password", hide_input=True, confirmation_prompt="new password again")


@app.command("create")
def create(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="admin | analyst | enterprise")] = "analyst",
    enterprise: Annotated[
        str | None, typer.Option(help="external id of the enterprise (role enterprise)")
    ] = None,
    password: Annotated[
        bool, typer.Option("--password", help="also set a web-console password (asked for, not echoed)")
    ] = False,
) -> None:
    """Create a user and print its API key (shown once)."""
    secret = typer.prompt("password", hide_input=True, confirmation_prompt=True) if password else None
    from sqlalchemy import select

    from ipsentry.core.db import transaction
    from ipsentry.core.models import Enterprise
    from ipsentry.core.users import create_user, issue_api_key

    with _context() as context, transaction(context.session_factory) as session:
        enterprise_id = None
        if enterprise:
            row = session.scalar(select(Enterprise).where(Enterprise.external_id == enterprise))
            if row is None:
                err.print(f"[red]no enterprise {escape(repr(enterprise))}[/]")
                raise typer.Exit(2)
            enterprise_id = row.id
        try:
            user = create_user(
                session, username=username, role=role, enterprise_id=enterprise_id, password=secret
            )
        except ValueError as error:
            err.print(f"[red]{escape(str(error))}[/]")
            raise typer.Exit(2) from error
        key = issue_api_key(session, user)
    console.print(f"user {escape(username)} ({escape(role)}) created; API key (shown once): [bold]{key}[/]")


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="the user's name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input (first line)")
    ] = False,
) -> None:
    """Set a user's web-console password and end the user's console logins.

    The password is asked for twice without echo, or read from standard input with
    --password-stdin; the API's password policy applies.  API keys stay valid."""
    from sqlalchemy import select

    from ipsentry.core.db import transaction
    from ipsentry.core.models import User
    from ipsentry.core.users import check_password
    from ipsentry.core.users import set_password as store_password

    with _context() as context:
        # Looked up before asking: nobody types a password twice for a misspelt name.
        with context.session_factory() as session:
            known = session.scalar(select(User.id).where(User.username == username)) is not None
        if not known:
            err.print(f"[red]用户不存在 / no user {escape(repr(username))}[/] (see: ipsentry user list)")
            raise typer.Exit(1)
        password = _read_password(password_stdin)
        try:
            check_password(password)
        except ValueError as error:
            err.print(f"[red]密码不符合要求 / password refused:[/] {escape(str(error))}")
            raise typer.Exit(1) from error
        with transaction(context.session_factory) as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:  # deleted meanwhile
                err.print(f"[red]用户不存在 / no user {escape(repr(username))}[/]")
                raise typer.Exit(1)
            ended = store_password(session, user, password)
            active = user.active
    name = escape(username)
    console.print(f"[green]密码已更新 / password of {name} changed[/]; {ended} console session(s) ended")
    if not active:
        console.print(f"[yellow]{name} is disabled[/]: it cannot log in until enabled again")


@app.command("list")
def list_users() -> None:
    """List the users: role, enterprise, whether they can log in, live API keys."""
    from sqlalchemy import func, select

    from ipsentry.core.models import ApiKey, Enterprise, User

    table = Table()
    for column in ("id", "username", "role", "enterprise", "active", "password", "API keys", "created"):
        table.add_column(column)
    with _context() as context, context.session_factory() as session:
        live = session.execute(
            select(ApiKey.user_id, func.count(ApiKey.id))
            .where(ApiKey.revoked.is_(False))
            .group_by(ApiKey.user_id)
        )
        keys = {row.user_id: row[1] for row in live}
        rows = session.execute(
            select(User, Enterprise.external_id)
            .outerjoin(Enterprise, Enterprise.id == User.enterprise_id)
            .order_by(User.id)
        )
        for user, enterprise in rows:
            table.add_row(
                str(user.id),
                escape(user.username),
                user.role,
                enterprise or "",
                "yes" if user.active else "no",
                "yes" if user.password_hash else "no",
                str(keys.get(user.id, 0)),
                user.created_at.strftime("%Y-%m-%d"),
            )
    console.print(table)
