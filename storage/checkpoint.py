"""SQLite's write-ahead log moved into the database file by a thread of its own.

SQLite checkpoints inside the commit that takes the log past `wal_autocheckpoint` pages, and
that commit then holds the bot's only connection while pages are copied and the file is synced:
tens of milliseconds in which every update needing the database waits (it was the whole tail
of the lead-form benchmark's latency, docs/BENCHMARKS.md). Here a second connection runs a
PASSIVE checkpoint every second, which never blocks the bot's reads and writes; the bot's own
connection keeps a far higher automatic threshold only as a backstop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0
BACKSTOP_PAGES = 20_000  # the bot's own connection checkpoints past ~80 MB of log only


class Checkpointer:
    def __init__(self, database: Path) -> None:
        self._database = database
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None

    def ensure_running(self) -> None:
        """Started with the engine's first connection (and again after a dispose)."""
        with self._lock:
            if self._stop is not None:
                return
            stop = self._stop = threading.Event()
        threading.Thread(
            target=self._run, args=(stop,), name="sqlite-checkpoint", daemon=True
        ).start()

    def stop(self) -> None:
        with self._lock:
            if self._stop is not None:
                self._stop.set()
                self._stop = None

    def _run(self, stop: threading.Event) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not stop.wait(INTERVAL_SECONDS):
                try:
                    if connection is None:
                        # mode=rw: never create the file (it may be on its way to migration).
                        uri = f"{self._database.resolve().as_uri()}?mode=rw"
                        connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as error:
                    log.warning("WAL checkpoint of %s failed: %s", self._database, error)
        finally:
            if connection is not None:
                connection.close()
