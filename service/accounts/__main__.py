"""``python -m service.accounts COMMAND``: accounts from the command line.

The first administrator is made here; everything else can also be done through the admin API (/api/admin/...).

    python -m service.accounts create-admin USERNAME            (asks for the password)
    python -m service.accounts add-organization NAME
    python -m service.accounts add-account USERNAME --role coordinator --organization NAME
    python -m service.accounts add-embed-key --organization NAME --origin https://intranet.example.lt
    python -m service.accounts list
    python -m service.accounts migrate
"""

import argparse
import getpass
import os
import sys

from ingest.settings import get_settings
from service.accounts.database import migrate, open_database
from service.accounts.store import ADMINISTRATOR, ROLES, AccountError, AccountStore

PASSWORD_VARIABLE = "EQUASS_NEW_PASSWORD"


def read_password() -> str:
    """From $EQUASS_NEW_PASSWORD (for scripts), else typed twice without echo."""
    if os.environ.get(PASSWORD_VARIABLE):
        return os.environ[PASSWORD_VARIABLE]
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("The same password again: ") != first:
        raise AccountError("The two passwords differ; nothing was changed.")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.accounts", description="Accounts of the EQUASS assistant.")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("create-admin", help="create an administrator (the first one, usually)")
    admin.add_argument("username")
    organization = commands.add_parser("add-organization", help="add an organisation")
    organization.add_argument("name")
    account = commands.add_parser("add-account", help="add a staff member, coordinator or administrator")
    account.add_argument("username")
    account.add_argument("--role", choices=ROLES, required=True)
    account.add_argument("--organization", help="the organisation's name (not for administrators)")
    key = commands.add_parser("add-embed-key", help="a key for the widget of one organisation")
    key.add_argument("--organization", required=True)
    key.add_argument("--origin", action="append", required=True, help="a page origin allowed to use it (repeatable)")
    commands.add_parser("list", help="organisations, accounts and embed keys")
    commands.add_parser("migrate", help="bring the database schema up to date")
    args = parser.parse_args(argv)

    settings = get_settings()
    engine = open_database(settings.database)
    migrate(engine)
    store = AccountStore(engine, settings.session_hours)
    try:
        if args.command == "create-admin":
            created = store.add_account(args.username, read_password(), ADMINISTRATOR, None)
            store.audit(None, "account.create", created.username, role=created.role)
            print(f"Administrator '{created.username}' created. Turn accounts on with EQUASS_ACCOUNTS=true "
                  "and sign in at /login.")
        elif args.command == "add-organization":
            store.add_organization(args.name)
            store.audit(None, "organization.create", args.name, organization=args.name)
            print(f"Organisation '{args.name}' added.")
        elif args.command == "add-account":
            created = store.add_account(args.username, read_password(), args.role, args.organization)
            store.audit(None, "account.create", created.username, created.organization, role=created.role)
            print(f"Account '{created.username}' ({created.role}, {created.organization or 'all organisations'}) created.")
        elif args.command == "add-embed-key":
            secret, made = store.add_embed_key(args.organization, args.origin)
            store.audit(None, "embed_key.create", made.prefix, made.organization, origins=list(made.origins))
            print(f"Embed key for '{made.organization}', usable from {', '.join(made.origins)}:\n{secret}\n"
                  "It is shown only now. Put it in the widget's tag: "
                  f'<script src="https://ASSISTANT-HOST/widget.js" data-key="{secret}"></script>')
        elif args.command == "list":
            print("Organisations:", "; ".join(store.organizations()) or "none")
            for found in store.accounts():
                print(f"account {found.id}: {found.username} ({found.role}, {found.organization or 'all organisations'})"
                      f"{'' if found.active else ', deactivated'}")
            for found in store.embed_keys():
                print(f"embed key {found.id}: {found.prefix}… for {found.organization} from {', '.join(found.origins)}"
                      f"{', revoked' if found.revoked_at else ''}")
        else:
            print(f"The database at {engine.url.render_as_string(hide_password=True)} is up to date.")
    except AccountError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
