"""``python -m service --index DIR --host 127.0.0.1 --port 8000``: serve the assistant."""

import argparse
import logging
from pathlib import Path

import uvicorn

from ingest.embedding import quiet_libraries
from ingest.settings import get_settings
from service.app import create_app
from service.middleware import MAX_RETRY_AFTER


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("--index", type=Path, default=settings.index_dir, help="index folder built by python -m ingest")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_libraries()
    settings = settings.model_copy(update={"index_dir": args.index, "host": args.host, "port": args.port})
    # Access logs carry query strings, i.e. what staff typed: they stay off.
    # uvicorn's own start-up lines are left out: the service logs when it serves an index generation.
    logging.getLogger("service").info("Starting on http://%s:%d (Ctrl+C stops)", args.host, args.port)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False, log_level="warning",
                timeout_keep_alive=MAX_RETRY_AFTER + 5)


if __name__ == "__main__":
    main()
