"""Serving the newest index generation without a restart.

``python -m ingest`` writes a complete new generation and then switches the ``current`` link to it
(ingest/index_store.py). Between requests the service compares the generation ``current`` points at
with the one it serves (one readlink); when they differ it loads the new one in a background thread
and swaps it in when it is ready. A request holds the engine, coverage and answerer it started
with, so requests in flight finish on the old generation, and none ever sees a half-loaded one.
"""

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.index_store import current_generation
from ingest.settings import Settings
from service.answering import Answerer
from service.coverage import Coverage
from service.engine import Engine
from service.scopes import Scope, answerer_within

log = logging.getLogger(__name__)
# Views kept per generation: one per organisation and kind of caller in use.
MAX_VIEWS = 1024


@dataclass
class Served:
    """Everything built from one index generation, and its views for one scope each."""

    engine: Engine
    coverage: Coverage
    answerer: Answerer
    _views: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def generation(self) -> Path:
        return self.engine.index.path

    def within(self, scope: Scope) -> "Served":
        """Engine, coverage and answerer that see only the documents of ``scope``."""
        if scope.everything:
            return self
        with self._lock:
            if scope in self._views:
                self._views.move_to_end(scope)
                return self._views[scope]
        engine = self.engine.within(scope)
        coverage = self.coverage.within(engine)
        view = Served(engine, coverage, answerer_within(self.answerer, engine, coverage, scope))
        with self._lock:
            self._views[scope] = view
            while len(self._views) > MAX_VIEWS:
                self._views.popitem(last=False)
        return view


def load_served(settings: Settings) -> Served:
    engine = Engine.load(settings)
    laws = {d.document_id for d in engine.index.documents.values() if d.kind == "law"}
    unknown = sorted(set(settings.laws_in_scope) - laws)
    if unknown:
        log.warning("EQUASS_LAWS_IN_SCOPE names documents that are not laws of this index: %s", ", ".join(unknown))
    coverage = Coverage(engine)
    return Served(engine, coverage, Answerer(engine, coverage))


class GenerationWatcher:
    def __init__(self, settings: Settings, swap: Callable[[Served], None],
                 load: Callable[[Settings], Served] = load_served):
        self.settings = settings
        self.swap = swap
        self.load = load
        self.serving: Path | None = None
        self.failed: Path | None = None  # a generation that could not be loaded is not retried
        self._loading = threading.Lock()

    def load_now(self) -> Served:
        """Load the current generation in the caller's thread (at start-up)."""
        served = self.load(self.settings)
        self._serve(served)
        return served

    def check(self) -> None:
        """Start loading the current generation if it is not the one served; returns at once."""
        target = current_generation(self.settings.index_dir)
        if target is None or target == self.serving or target == self.failed or self._loading.locked():
            return
        threading.Thread(target=self._load_in_background, name="index-generation-loader", daemon=True).start()

    def _load_in_background(self) -> None:
        if not self._loading.acquire(blocking=False):
            return
        try:
            target = current_generation(self.settings.index_dir)
            if target is None or target == self.serving:
                return
            try:
                self._serve(self.load(self.settings))
            except Exception:
                log.exception("Index generation %s could not be loaded; still serving %s",
                              target.name, self.serving.name if self.serving else "nothing")
                self.failed = target
        finally:
            self._loading.release()

    def _serve(self, served: Served) -> None:
        self.swap(served)
        self.serving = served.generation.resolve()
        log.info("Serving index generation %s", served.generation.name)
