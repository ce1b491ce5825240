"""A bounded load run: many concurrent clients against the real service on 127.0.0.1.

The service runs as its own process (``python -m service``), as in production. Each client
asks staff questions one after another on a kept-alive connection; a client told 503 waits the
Retry-After it was given, as a polite client does. A prober checks ``/healthz`` meanwhile.
What matters: no error other than the deliberate 503s, bounded latency, health checks that stay
fast.
"""

import http.client
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REQUEST_TIMEOUT = 30.0
# Questions as staff type them: with and without diacritics, English, and some the sources cannot
# answer (a refusal costs the service as much as an answer).
QUESTIONS = [
    "Kaip dažnai vertinama Centro veiklos kokybė?",
    "kaip daznai vertinama kokybe",
    "Kokia yra Kauno rajono socialinių paslaugų centro vizija?",
    "Kas yra socialinės paslaugos?",
    "Kokias teises turi duomenų subjektas?",
    "Kiek laiko galioja EQUASS Assurance sertifikatas?",
    "Kaip nagrinėjami paslaugų gavėjų skundai?",
    "Kas atsakingas už kokybės politikos įgyvendinimą?",
    "Kokie yra EQUASS principai?",
    "kas yra equass",
    "Kuri politika apima etikos principą?",
    "Kaip įtraukiami paslaugų gavėjai į sprendimų priėmimą?",
    "How often is the quality of the centre's work assessed?",
    "Which policy covers participation?",
    "Koks rytoj bus oras Vilniuje?",
    "Kiek kainuoja pietūs valgykloje?",
]


@dataclass
class LoadResult:
    clients: int
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # exceptions: timeouts, refused connections
    latencies: list[float] = field(default_factory=list)  # every answered request, seconds
    ok_latencies: list[float] = field(default_factory=list)
    health_latencies: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + len(self.errors)

    @property
    def unexpected(self) -> int:
        """Everything but 200 and the deliberate 503."""
        return len(self.errors) + sum(n for status, n in self.statuses.items() if status not in (200, 503))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_service(index_dir: Path, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "service", "--index", str(index_dir), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)


def wait_ready(port: int, service: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.poll() is not None:
            raise RuntimeError(f"the service exited with code {service.returncode} before it was ready")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the service was not ready within {timeout:g} s")


def client_loop(port: int, questions: list[str], offset: int, deadline: float, result: LoadResult,
                lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    number = offset
    while time.monotonic() < deadline:
        body = json.dumps({"question": questions[number % len(questions)]}).encode("utf-8")
        number += 1
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/ask", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            with lock:
                result.errors.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            continue
        elapsed = time.perf_counter() - started
        with lock:
            result.statuses[response.status] = result.statuses.get(response.status, 0) + 1
            result.latencies.append(elapsed)
            if response.status == 200:
                result.ok_latencies.append(elapsed)
        if response.status == 503:
            wait = float(response.getheader("Retry-After") or 1)
            time.sleep(max(0.0, min(wait, deadline - time.monotonic())))
    connection.close()


def health_loop(port: int, deadline: float, result: LoadResult) -> None:
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            connection.close()
            if status == 200:
                result.health_latencies.append(time.perf_counter() - started)
            else:
                result.errors.append(f"healthz {status}")
        except OSError as error:
            result.errors.append(f"healthz {type(error).__name__}")
        time.sleep(0.25)


def run_load(index_dir: Path, clients: int, seconds: float, questions: list[str] = QUESTIONS) -> LoadResult:
    """Start the service, run ``clients`` clients for ``seconds``, stop the service."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "service.log"
        service = start_service(index_dir, port, log_path)
        try:
            wait_ready(port, service)
            result = LoadResult(clients, seconds)
            lock = threading.Lock()
            deadline = time.monotonic() + seconds
            threads = [threading.Thread(target=client_loop, args=(port, questions, i * 7, deadline, result, lock))
                       for i in range(clients)]
            threads.append(threading.Thread(target=health_loop, args=(port, deadline, result)))
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            return result
        except RuntimeError as error:
            raise RuntimeError(f"{error}; service log:\n{log_path.read_text()[-2000:]}") from None
        finally:
            service.terminate()
            service.wait(timeout=30)


def latency_text(samples: list[float]) -> str:
    """p50, p95 and p99 of latencies in seconds, as milliseconds."""
    if not samples:
        return "no samples"
    values = np.percentile(np.array(samples) * 1000, [50, 95, 99])
    return ", ".join(f"p{q} {value:.0f} ms" for q, value in zip((50, 95, 99), values))
