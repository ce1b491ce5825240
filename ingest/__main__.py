"""``python -m ingest PATH... --index DIR``: build or update an index."""

import argparse
import logging
import sys
from pathlib import Path

from rich.console import Console

from ingest.pipeline import ingest
from ingest.readers import ReadError
from ingest.embedding import quiet_libraries
from ingest.settings import get_settings


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

    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        console.print(f"[red]No such file or folder: {', '.join(missing)}[/red]")
        return 2
    try:
        report = ingest(args.paths, args.index, settings, args.organization, show_progress=not args.quiet)
    except ReadError as error:
        console.print(f"[red]Nothing was indexed: {error}[/red]")
        return 1
    for problem in report.problems:
        console.print(f"[yellow]Skipped {problem.path}: {problem.reason}[/yellow]")
    console.print(
        f"Indexed {report.documents} documents, {report.chunks} chunks into {args.index} "
        f"({len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed; {report.embedded_chunks} chunks embedded) in {report.seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
