"""A real PostgreSQL for the tests, started from the machine's binaries (Debian's ``postgresql``,
installed by `make postgres`) in a temporary folder, on a free port.

PostgreSQL refuses to run as root; when the tests run as root (CI), the server runs as the
``postgres`` system user, in a folder it owns.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BIN_PATTERN = "/usr/lib/postgresql/*/bin"
SYSTEM_USER = "postgres"


def postgres_bin() -> Path:
    found = sorted(glob.glob(f"{BIN_PATTERN}/postgres"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): run `make postgres` "
                    "(apt-get install postgresql) and run the tests again")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    bin: Path
    folder: Path
    port: int
    as_root: bool

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, cwd=self.folder)

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", SYSTEM_USER, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SYSTEM_USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database on this server; its URL."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))  # a name made here, not input
        engine.dispose()
        return self.url(name)


def start_postgres() -> PostgresServer:
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="equass-postgres-"))
    if as_root:
        shutil.chown(folder, SYSTEM_USER, SYSTEM_USER)
    server = PostgresServer(postgres_bin(), folder, free_port(), as_root)
    try:
        server.init()
        server.start()
    except subprocess.CalledProcessError as error:
        log = folder / "server.log"
        pytest.fail(f"PostgreSQL did not start: {error.stderr or error.stdout}"
                    f"{log.read_text() if log.exists() else ''}")
    deadline = time.monotonic() + 30
    while True:
        try:
            with create_engine(server.url()).connect():
                break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return server


@pytest.fixture(scope="session")
def postgres():
    server = start_postgres()
    yield server
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def database_url(postgres) -> str:
    return postgres.new_database()
