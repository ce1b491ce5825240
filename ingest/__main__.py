"""``python -m ingest PATH... --index DIR``: build or update an index."""

import argparse
import logging
import re
import sys
from contextlib import nullcontext
from pathlib import Path

from rich.console import Console
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from ingest.embedding import quiet_libraries
from ingest.index_store import IndexWriteError
from ingest.pipeline import IngestReport, NothingToIndex, ingest
from ingest.settings import get_settings
from ingest.shared_index import shared_index

# Control characters, and the format characters that reorder or hide text (bidi overrides):
# a file name holding them must not move the cursor, recolour the terminal or disguise itself.
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\n``, ``\\x1b``)."""
    return UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def say(console: Console, *parts: tuple[str, str] | str) -> None:
    """Print plain text and (text, style) pairs. Text is never read as rich markup, so a file
    named ``[/bold].txt`` prints as it is named."""
    console.print(Text.assemble(*(
        (printable(part[0]), part[1]) if isinstance(part, tuple) else printable(part) for part in parts
    )), highlight=False)


def print_problems(console: Console, report: IngestReport) -> None:
    for problem in report.problems:
        say(console, ("Skipped ", "yellow"), (problem.path, "bold yellow"), (f": {problem.reason}", "yellow"))


def print_report(console: Console, report: IngestReport, index: Path) -> None:
    print_problems(console, report)
    say(console,
        f"Indexed {report.documents} documents, {report.chunks} chunks into {index} "
        f"({len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed; {report.embedded_chunks} chunks embedded) in {report.seconds:.1f} s")
    if report.problems:
        say(console, (f"{len(report.problems)} files or records were skipped; see the reasons above.", "yellow"))


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=[settings.corpus_dir],
                        help="files or folders to ingest (default: the corpus folder)")
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="index folder")
    parser.add_argument("--organization", default=None,
                        help="organisation of documents that the corpus manifest does not describe")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    quiet_libraries()
    console = Console(stderr=True, soft_wrap=True)

    missing = [str(p) for p in args.paths if not p.exists() and not p.is_symlink()]
    if missing:
        say(console, (f"No such file or folder: {', '.join(missing)}", "red"))
        return 2

    def waiting(message: str) -> None:
        say(console, (message, "yellow"))

    # With PostgreSQL as the store of record, the ingest starts from the database's current
    # generation and publishes the new one there, for every replica.
    shared = shared_index(settings.database_url)
    try:
        with shared.writing(args.index, settings.ingest_lock_wait_seconds, waiting) if shared else nullcontext():
            report = ingest(args.paths, args.index, settings, args.organization, show_progress=not args.quiet,
                            on_wait=waiting, keep_missing_files=shared is not None)
            if shared:
                shared.publish(Path(report.generation))
    except NothingToIndex as error:
        print_problems(console, error.report)
        say(console, (f"Nothing was indexed: {error}", "red"))
        return 1
    except IndexWriteError as error:
        say(console, (str(error), "red"))
        return 1
    except SQLAlchemyError as error:
        reason = type(getattr(error, "orig", None) or error).__name__
        say(console, (f"The database cannot be used ({reason}); nothing was published. Check EQUASS_DATABASE_URL "
                      "and that PostgreSQL is running, then ingest again.", "red"))
        return 1
    print_report(console, report, args.index)
    return 0


if __name__ == "__main__":
    sys.exit(main())
