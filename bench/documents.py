"""Documents benchmark (issue 5): how long a one-page offer with 10 items takes as PDF and as
DOCX, and whether the event loop stays responsive while 20 offers render at once.

Run from the repository root: `.venv/bin/python bench/documents.py` (about a minute).

Everything goes through the bot's own `bot.rendering.Renderer` (a pool of worker processes, one
per core, templates and fonts kept between documents) with the context `bot.documents.context`
builds from config/salesbot.yaml, as a manager's "offer" button does.

* PDF and DOCX: --documents (40) offers one after another, after a warm-up, each timed from the
  call to the bytes back in the bot's process. Baselines in the same run, same pool: a PDF of a
  one-line HTML page (WeasyPrint's own floor) and a DOCX of the template with nothing to fill in.
* Event-loop lag: a probe sleeps 10 ms over and over and notes how late it wakes, first with
  nothing else running (the baseline), then while --concurrent (20) offers render at once.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import docx
import weasyprint

from bench.stats import percentile
from bot.config import BusinessConfig, load_business_config
from bot.documents import Party, context, number
from bot.domain.offers import OfferLine
from bot.rendering import TEMPLATES, Renderer

ROOT = Path(__file__).resolve().parent.parent
PDF_P50_TARGET = 0.350
DOCX_P50_TARGET = 0.050
LAG_TARGET = 0.050
PROBE_SLEEP = 0.010


def offer(config: BusinessConfig) -> dict[str, Any]:
    assert config.documents is not None
    kind = config.documents.types[0]
    items = list(config.catalogue)
    lines = [
        OfferLine(
            f"{item.sku}-{n}", f"{item.name.get('ru')} (вариант {n + 1})", item.unit.get("ru"),
            Decimal(n + 1), int(item.price * 100), item.vat,
        )
        for n, item in enumerate((items * 2)[:10])
    ]  # fmt: skip
    data, _ = context(
        config, kind, number(kind, 2026, 1), date(2026, 11, 23), lines, Decimal(5),
        Party("Анна Петрова", "ООО «Вектор»", "+7 916 123-45-67", "anna@example.com"),
        Party("Олег Смирнов", phone="+7 495 123-45-67", contact="@oleg"), "ru",
    )  # fmt: skip
    return data


async def timed(call: Callable[[], Awaitable[bytes]], count: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(count):
        began = time.perf_counter()
        size = len(await call())
        times.append(time.perf_counter() - began)
    return times, size


async def lag_while(work: Awaitable[Any] | None, seconds: float) -> list[float]:
    """How late a 10 ms sleep wakes, again and again, while `work` runs (or for `seconds`)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            began = time.perf_counter()
            await asyncio.sleep(PROBE_SLEEP)
            lags.append(time.perf_counter() - began - PROBE_SLEEP)

    task = asyncio.create_task(probe())
    if work is None:
        await asyncio.sleep(seconds)
    else:
        await work
    done.set()
    await task
    return lags


def line(name: str, times: list[float], size: int, target: float | None) -> bool:
    p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
    verdict = ""
    ok = True
    if target is not None:
        ok = p50 < target
        verdict = f"  (target p50 < {target * 1000:.0f} ms: {'PASS' if ok else 'FAIL'})"
    print(f"  {name:44} p50 {p50 * 1000:7.1f}  p95 {p95 * 1000:7.1f}  ms, {size:>7} bytes{verdict}")
    return ok


async def main_async(args: argparse.Namespace) -> bool:
    config = load_business_config(ROOT / "config" / "salesbot.yaml")
    data = offer(config)
    workers = os.cpu_count() or 1
    print(
        f"documents bench: {args.documents} offers of 10 items each way, {args.concurrent} at once"
        f" for the lag; {workers} worker processes; Python {platform.python_version()},"
        f" WeasyPrint {weasyprint.__version__}"
    )
    with tempfile.TemporaryDirectory(prefix="salesbot-docs-") as tmp:
        directory = Path(tmp)
        shutil.copytree(TEMPLATES, directory, dirs_exist_ok=True)
        (directory / "floor.html").write_text("<p>{{ doc.number }}</p>", encoding="utf-8")
        floor = docx.Document()
        floor.add_paragraph("{{ doc.number }}")
        floor.save(str(directory / "floor.docx"))
        renderer = Renderer(directory)
        try:
            await renderer.warm_up()
            for _ in range(3):  # each worker compiles the templates and loads the fonts once
                await asyncio.gather(*(renderer.pdf("offer.html", data) for _ in range(workers)))
                await renderer.docx("offer.docx", data)
            print("\none at a time, from the call to the bytes back:")
            ok = True
            times, size = await timed(lambda: renderer.pdf("floor.html", data), args.documents)
            line("baseline: PDF of a one-line page", times, size, None)
            times, size = await timed(lambda: renderer.pdf("offer.html", data), args.documents)
            ok &= line("PDF: one-page offer, 10 items", times, size, PDF_P50_TARGET)
            times, size = await timed(lambda: renderer.docx("floor.docx", data), args.documents)
            line("baseline: DOCX of a one-line template", times, size, None)
            times, size = await timed(lambda: renderer.docx("offer.docx", data), args.documents)
            ok &= line("DOCX: one-page offer, 10 items", times, size, DOCX_P50_TARGET)

            print(f"\nevent-loop lag (a {PROBE_SLEEP * 1000:.0f} ms sleep, how late it wakes):")
            idle = await lag_while(None, 3.0)
            began = time.perf_counter()
            busy = await lag_while(
                asyncio.gather(*(renderer.pdf("offer.html", data) for _ in range(args.concurrent))),
                0,
            )
            took = time.perf_counter() - began
            for name, lags in (("baseline: nothing running", idle),
                               (f"{args.concurrent} offers rendering at once", busy)):  # fmt: skip
                print(
                    f"  {name:44} p50 {percentile(lags, 0.5) * 1000:6.2f}  p99"
                    f" {percentile(lags, 0.99) * 1000:6.2f}  max {max(lags) * 1000:6.2f} ms"
                    f" ({len(lags)} wake-ups)"
                )
            lag_ok = max(busy) < LAG_TARGET
            print(
                f"  the {args.concurrent} took {took:.2f} s in all; max lag {max(busy) * 1000:.1f} ms"
                f" (target < {LAG_TARGET * 1000:.0f} ms): {'PASS' if lag_ok else 'FAIL'}"
            )
            ok &= lag_ok
        finally:
            renderer.close()
    print(f"\noverall: {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=40, help="offers timed each way (40)")
    parser.add_argument("--concurrent", type=int, default=20, help="at once, for the lag (20)")
    parser.add_argument("--check", action="store_true", help="exit with 1 if a target is missed")
    args = parser.parse_args(argv)
    ok = asyncio.run(main_async(args))
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
