"""Documents rendered away from the event loop: PDF (WeasyPrint) and DOCX (docxtpl) in a pool of
worker processes, each keeping its compiled templates and fonts between documents.

Templates are admin-editable, so they render in a Jinja2 sandbox with autoescaping: a client's
company named `{{ 7*7 }}` or `<b>x</b>` appears as written. A render that fails or takes too
long raises RenderFailed; a stuck worker is replaced, and the bot goes on.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import re
import shutil
import weakref
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "documents"
TIMEOUT = 30.0  # seconds for one document


class RenderFailed(Exception):
    """The document could not be made (a broken template, a timeout)."""


class _PoolLost(Exception):
    """The pool a render was given went away before the render was done."""


class _Sandbox(SandboxedEnvironment):
    """Keeps what `from_string` compiled: docxtpl compiles a Word file's XML on every render."""

    def __init__(self, directory: Path) -> None:
        super().__init__(
            loader=FileSystemLoader(directory), autoescape=True, undefined=StrictUndefined
        )
        self._compiled: dict[str, Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        template = self._compiled.get(source)
        if template is None:
            if len(self._compiled) > 32:  # templates replaced over time: keep the latest
                self._compiled.clear()
            template = self._compiled[source] = super().from_string(source)
        return template


def sandbox(directory: Path) -> SandboxedEnvironment:
    return _Sandbox(directory)


# --- in the worker processes ----------------------------------------------------------------

_environments: dict[str, SandboxedEnvironment] = {}
_fonts: Any = None
_stylesheets: dict[str, tuple[float, Any]] = {}  # directory -> (base.css's mtime, parsed)


def _environment(directory: str) -> SandboxedEnvironment:
    environment = _environments.get(directory)
    if environment is None:  # compiled templates are cached by the environment (auto_reload)
        environment = _environments[directory] = sandbox(Path(directory))
    return environment


_fetchers: dict[str, Any] = {}


def _fetcher(directory: str) -> Any:
    """Templates may use files of their own directory (fonts, the logo, images) and data: URIs,
    nothing else: no file elsewhere on the server, no network."""
    fetcher = _fetchers.get(directory)
    if fetcher is None:
        from urllib.parse import urlparse
        from urllib.request import url2pathname

        from weasyprint.urls import URLFetcher

        root = Path(directory).resolve()

        class LocalOnly(URLFetcher):  # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                if url.startswith("file:"):
                    path = Path(url2pathname(urlparse(url).path)).resolve()
                    if path.is_relative_to(root):
                        return super().fetch(url, headers)
                elif url.startswith("data:"):
                    return super().fetch(url, headers)
                raise ValueError(f"not allowed in a document: {url[:80]}")

        fetcher = _fetchers[directory] = LocalOnly(allowed_protocols=("file", "data"))
    return fetcher


def _base_stylesheet(directory: str) -> Any:
    """base.css, applied to every HTML template: parsed (and its fonts loaded) once per worker,
    again only when the file changes."""
    global _fonts
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    path = Path(directory) / "base.css"
    mtime = path.stat().st_mtime if path.exists() else 0.0
    cached = _stylesheets.get(directory)
    if cached is None or cached[0] != mtime:
        _fonts = FontConfiguration()
        css = (
            CSS(filename=str(path), font_config=_fonts, url_fetcher=_fetcher(directory))
            if path.exists()
            else None
        )
        cached = _stylesheets[directory] = (mtime, css)
    return cached[1]


def render_pdf(directory: str, name: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    stylesheet = _base_stylesheet(directory)
    html = _environment(directory).get_template(name).render(**context)
    pdf = HTML(string=html, base_url=directory, url_fetcher=_fetcher(directory)).write_pdf(
        stylesheets=[stylesheet] if stylesheet is not None else None,
        font_config=_fonts,
        # The fonts shipped are subsets already (Latin, Cyrillic, ₽, №: about 50 KB each):
        # embedding them whole skips fontTools' subsetting, the slowest part of a render.
        full_fonts=True,
    )
    assert pdf is not None
    return bytes(pdf)


def render_html(directory: str, name: str, context: dict[str, Any]) -> bytes:
    """What a PDF template makes before WeasyPrint lays it out (to check what it prints)."""
    return _environment(directory).get_template(name).render(**context).encode()


def render_docx(directory: str, name: str, context: dict[str, Any]) -> bytes:
    from docxtpl import DocxTemplate

    document = DocxTemplate(str(Path(directory) / name))
    document.render(context, jinja_env=_environment(directory), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _warm_up() -> None:
    import docxtpl  # noqa: F401
    import weasyprint  # noqa: F401


# --- in the bot's process --------------------------------------------------------------------


class Renderer:
    def __init__(
        self,
        directory: Path = TEMPLATES,
        workers: int | None = None,
        timeout: float = TIMEOUT,
        owns_directory: bool = False,
    ) -> None:
        self.directory = directory
        self._owns_directory = owns_directory  # a working copy, removed on close
        self._workers = workers or max(1, os.cpu_count() or 1)
        self._timeout = timeout
        self._pool: ProcessPoolExecutor | None = None
        # Pools stopped because a render in them passed the timeout: the other renders they held
        # are that render's victims and are tried again. (A worker that died by itself cannot
        # tell its culprit from its victims: retrying them all would run the culprit twice.)
        self._timed_out: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()
        self._closed = False
        # Called before each render: brings the templates in `directory` up to date (those
        # another process of the bot replaced, see TemplateStore.sync)
        self.before_render: Callable[[], None] = lambda: None

    def _executor(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RenderFailed("the renderer is closed")  # shutting down: no new workers
        if self._pool is None:
            # spawn: the bot's process has threads (the database's), which fork would copy
            # in whatever state they are in.
            self._pool = ProcessPoolExecutor(
                self._workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    async def warm_up(self) -> None:
        """Start the workers and load the libraries now, not in a manager's first request."""
        loop = asyncio.get_running_loop()
        pool = self._executor()
        await asyncio.gather(*(loop.run_in_executor(pool, _warm_up) for _ in range(self._workers)))

    async def pdf(self, name: str, context: dict[str, Any]) -> bytes:
        return await self._run(render_pdf, name, context)

    async def docx(self, name: str, context: dict[str, Any]) -> bytes:
        return await self._run(render_docx, name, context)

    async def html(self, name: str, context: dict[str, Any]) -> str:
        return (await self._run(render_html, name, context)).decode()

    async def _run(self, function: Any, name: str, context: dict[str, Any]) -> bytes:
        self.before_render()
        # A render stuck past the timeout takes its pool down with it, and with it the renders
        # of other managers queued or running there: those are tried once more in the new pool.
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return await self._once(pool, function, name, context)
            except _PoolLost as lost:
                if attempt == 2:
                    raise RenderFailed("worker died") from lost.__cause__
                log.warning("rendering %s is tried again: its workers were replaced", name)
        raise AssertionError("unreachable")

    async def _once(
        self, pool: ProcessPoolExecutor, function: Any, name: str, context: dict[str, Any]
    ) -> bytes:
        try:
            call = asyncio.get_running_loop().run_in_executor(
                pool, function, str(self.directory), name, context
            )
        except BrokenProcessPool as error:
            # A worker died while the pool was idle (the OOM killer, an operator's kill): no
            # render was there to replace the pool, and nothing of this one has run yet.
            log.warning("the render workers had died: they are replaced")
            self._replace(pool)
            raise _PoolLost from error
        try:
            return bytes(await asyncio.wait_for(call, self._timeout))
        except TimeoutError as error:
            log.error("rendering %s took over %s s: the workers are replaced", name, self._timeout)
            self._timed_out.add(pool)
            self._replace(pool)
            raise RenderFailed("timeout") from error
        except BrokenProcessPool as error:
            self._replace(pool)
            if pool in self._timed_out:
                raise _PoolLost from error
            raise RenderFailed("worker died") from error
        except asyncio.CancelledError as error:
            task = asyncio.current_task()
            caller_cancelled = task is None or task.cancelling() > 0
            if call.cancelled() and not caller_cancelled and pool in self._timed_out:
                raise _PoolLost from error  # the pool was shut down under it, not the caller
            if call.cancelled() and not caller_cancelled:  # closed under it: shutting down
                raise RenderFailed("the renderer is closed") from error
            raise
        except Exception as error:  # a template's own error, whatever it is: a clear answer
            log.warning("rendering %s failed: %r", name, error)
            raise RenderFailed(_without_paths(str(error) or type(error).__name__)) from error

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool = None
        _stop(pool)

    def close(self) -> None:
        self._closed = True
        if self._pool is not None:
            _stop(self._pool)  # a render nobody waits for any more must not outlive the bot
            self._pool = None
        if self._owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


_PATH = re.compile(r"""(?<![\w.])(?:[A-Za-z]:)?[\\/](?:[^\s"'\\/]+[\\/])+([^\s"'\\/]+)""")


def _without_paths(text: str) -> str:
    """An error as an admin may read it: "/tmp/salesbot-trial-…/offer.html" is "offer.html"
    (the server's directories are none of their business)."""
    return _PATH.sub(r"\1", text)


def _stop(pool: ProcessPoolExecutor) -> None:
    # A stuck render's process is ended; a pool already shut down has none left (None).
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
