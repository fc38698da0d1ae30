"""An exam day against a real server: a start storm (2,000 candidates opening their papers within 10 s),
then N workstations answering with autosave (paced at a realistic, compressed rate, then flat out)
and submitting; in the same run, the same N on the server's echo endpoint (``GET /healthz``, no
database) as the baseline.

The server is ``examsvc serve`` (uvicorn, ``--workers`` processes) on a fresh PostgreSQL database on
the server named by EXAMSVC_BENCH_DATABASE_URL (default: the local 127.0.0.1:5432). Every loop is
bounded in count and time, and only 127.0.0.1 is targeted. Prints throughput and p50/p99 latency per
phase and, last, the answer-save throughput as a ratio to the echo baseline.
Goals (issue 9): >= 1,000 durable saves/s with p99 <= 100 ms at 256 workstations; ratio >= 0.25;
the storm's 2,000 starts all served with p99 <= 1 s.

    .venv/bin/python -m bench.examday [--workstations 256] [--storm 2000] [--seconds 15] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

from bench._databases import postgres_engine
from bench.examday_setup import Station, exam_morning
from examsvc.config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _report(name: str, latencies: list[float], seconds: float, errors: int) -> float:
    rate = len(latencies) / seconds if seconds else 0.0
    print(f"{name}: {len(latencies)} ok, {errors} errors in {seconds:.1f} s = {rate:.0f}/s; "
          f"p50 {_quantile(latencies, 0.5) * 1000:.1f} ms, p99 {_quantile(latencies, 0.99) * 1000:.1f} ms")
    return rate


async def _loop(n: int, seconds: float, call: Callable[[int, int], Awaitable[bool]]) -> tuple[list[float], int, float]:
    """n concurrent loops, each calling ``call(worker, i)`` until the time is up (bounded by count too)."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        nonlocal errors
        for i in range(100_000):
            if time.perf_counter() >= deadline:
                return
            started = time.perf_counter()
            if await call(w, i):
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(n)))
    return latencies, errors, time.perf_counter() - started


async def _paced(n: int, seconds: float, rate: float,
                 call: Callable[[int, int], Awaitable[bool]]) -> tuple[list[float], int, float]:
    """n workstations together offering ``rate`` calls per second, each every n/rate seconds with one
    call in flight at most (a workstation autosaves on its own schedule); latency from the send."""
    latencies: list[float] = []
    errors = 0
    interval = n / rate
    began = time.perf_counter()
    deadline = began + seconds

    async def worker(w: int) -> None:
        nonlocal errors
        due = began + w / rate
        for i in range(100_000):
            due += interval
            if due >= deadline:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            started = time.perf_counter()
            if await call(w, i):
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    await asyncio.gather(*(worker(w) for w in range(n)))
    return latencies, errors, time.perf_counter() - began


async def _once(stations: list[Station], call: Callable[[int], Awaitable[bool]]) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0

    async def one(w: int) -> None:
        nonlocal errors
        started = time.perf_counter()
        if await call(w):
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(one(w) for w in range(len(stations))))
    return latencies, errors, time.perf_counter() - started


async def _spread(n: int, seconds: float, call: Callable[[int], Awaitable[bool]]) -> tuple[list[float], int, float]:
    """n calls arriving evenly over ``seconds`` whatever the answers (open loop); latency from each send."""
    latencies: list[float] = []
    errors = 0
    began = time.perf_counter()

    async def one(w: int) -> None:
        nonlocal errors
        await asyncio.sleep(max(0.0, began + w * seconds / n - time.perf_counter()))
        started = time.perf_counter()
        if await call(w):
            latencies.append(time.perf_counter() - started)
        else:
            errors += 1

    await asyncio.gather(*(one(w) for w in range(n)))
    return latencies, errors, time.perf_counter() - began


async def _day(base: str, everyone: list[Station], workstations: int, seconds: float, save_rate: float,
               storm_seconds: float) -> float:
    stations = everyone[:workstations]
    # aiohttp, not httpx, drives the load: httpx's async pool collapses past ~50 concurrent connections
    # on this machine (180 req/s at 64), which would measure the client instead of the server.
    connector = aiohttp.TCPConnector(limit=len(everyone))
    timeout = aiohttp.ClientTimeout(total=300)  # bounded: a start storm that cannot keep up shows as latency
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        async def status(method: str, path: str, headers: dict[str, str] | None = None,
                         json: dict[str, object] | None = None) -> int:
            async with client.request(method, path, headers=headers, json=json) as response:
                await response.read()
                return response.status

        async def echo(_: int, __: int) -> bool:
            return await status("GET", "/healthz") == 200

        latencies, errors, took = await _loop(len(stations), seconds, echo)
        baseline = _report("echo baseline (GET /healthz)", latencies, took, errors)
        latencies, errors, took = await _paced(len(stations), seconds, save_rate, echo)
        _report(f"echo paced at {save_rate:.0f}/s (the latency floor of this client on this machine)", latencies,
                took, errors)

        async def start(w: int) -> bool:
            return await status("POST", "/attempt/start", everyone[w].headers) == 200

        latencies, errors, took = await _spread(len(everyone), storm_seconds, start)
        _report(f"start storm ({len(everyone)} candidates open their papers within {storm_seconds:.0f} s)",
                latencies, took, errors)
        if errors:  # let the stragglers in a few at a time, so that the answering phase measures saves
            gate = asyncio.Semaphore(8)

            async def again(w: int) -> bool:
                async with gate:
                    return await start(w)

            latencies, errors, took = await _once(everyone, again)
            _report("starts retried 8 at a time (a reload returns the same paper)", latencies, took, errors)

        seq = [0] * len(stations)

        async def save(w: int, i: int) -> bool:
            seq[w] += 1
            return await status("PUT", f"/attempt/answers/{seq[w] % 70}", stations[w].headers,
                                {"response": "T" if i % 2 else "F", "seq": seq[w]}) == 200

        latencies, errors, took = await _paced(len(stations), seconds, save_rate, save)
        _report(f"answer saves paced at {save_rate:.0f}/s (each workstation every {len(stations) / save_rate:.2f} s)",
                latencies, took, errors)
        latencies, errors, took = await _loop(len(stations), seconds, save)
        saves = _report("answer saves as fast as they go (durable, committed before the response)", latencies,
                        took, errors)

        async def submit(w: int) -> bool:
            return await status("POST", "/attempt/submit", stations[w].headers, {"confirm": True}) == 200

        latencies, errors, took = await _once(stations, submit)
        _report("submission", latencies, took, errors)
    return saves / baseline if baseline else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workstations", type=int, default=256, help="workstations answering")
    parser.add_argument("--storm", type=int, default=2000, help="candidates in the start storm (at least as many)")
    parser.add_argument("--storm-seconds", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save-rate", type=float, default=1000.0, help="saves per second offered in the paced phase")
    parser.add_argument("--concurrency", type=int, default=0,
                        help="EXAMSVC_REQUEST_CONCURRENCY per worker (default: the service's own)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, postgres_engine() as engine:
        if engine is None:
            raise SystemExit("examday needs PostgreSQL (EXAMSVC_BENCH_DATABASE_URL)")
        url = engine.url.render_as_string(hide_password=False)
        settings = Settings(_env_file=None, data_dir=Path(folder), database_url=url,
                            password_cost_log2=10)
        settings.ensure_data_dir()
        started = time.perf_counter()
        stations = exam_morning(engine, settings, max(args.storm, args.workstations))
        print(f"setup: {len(stations)} workstations checked in and signed in in {time.perf_counter() - started:.0f} s")
        port = _free_port()
        env = os.environ | {"EXAMSVC_DATABASE_URL": url, "EXAMSVC_DATA_DIR": folder, "EXAMSVC_LOG_LEVEL": "WARNING",
                            }
        if args.concurrency:
            env["EXAMSVC_REQUEST_CONCURRENCY"] = str(args.concurrency)
        server = subprocess.Popen([sys.executable, "-m", "examsvc.cli", "serve", "--host", "127.0.0.1", "--port",
                                   str(port), "--workers", str(args.workers)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            ratio = asyncio.run(_day(base, stations, args.workstations, args.seconds, args.save_rate,
                                     args.storm_seconds))
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=15)
        print(f"answer-save throughput / echo baseline: {ratio:.2f}")


if __name__ == "__main__":
    main()
