"""How long the ``examsvc`` command takes to start (issue 16 item 21).

Goals: ``examsvc --help`` and ``--version`` <= 0.3 s; a command that touches the database <= 1 s on a
small database. Runs each command in a fresh process several times against a fresh SQLite data folder
(migrated once, before timing) and prints, per command, the median and the slowest wall time; the
last line is the ratio of ``examsvc --version``'s median to a bare ``python -c pass``'s, both measured
in this run (so a slower machine does not move the figure). The CPU time of each child is printed
too: on a machine busy with other work it moves less than the wall time.

    .venv/bin/python -m bench.cli_startup [--runs N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--version",), ("--help",), ("sittings", "--help"), ("db", "current"), ("banks", "list"),
    ("sites", "list"), ("sittings", "list"), ("users", "list"),
)


def _examsvc() -> list[str]:
    """The installed console script beside this interpreter (what an examiner types), else ``-m examsvc``."""
    script = Path(sys.executable).parent / "examsvc"
    return [str(script)] if script.exists() else [sys.executable, "-m", "examsvc"]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall times, and the CPU times of the child (user + system), which a busy machine inflates less."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), _cpu()
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return walls, cpus


def _line(name: str, walls: list[float], cpus: list[float]) -> str:
    return (f"{name:<24} wall median {statistics.median(walls):.3f} s  max {max(walls):.3f} s  "
            f"cpu median {statistics.median(cpus):.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "EXAMSVC_DATA_DIR": folder, "EXAMSVC_DATABASE_URL": ""}
        env.pop("EXAMSVC_ENVIRONMENT", None)
        subprocess.run([*_examsvc(), "db", "upgrade"], env=env, check=True, capture_output=True)
        baseline, baseline_cpu = _time([sys.executable, "-c", "pass"], env, args.runs)
        print(_line("python -c pass", baseline, baseline_cpu))
        medians: dict[tuple[str, ...], float] = {}
        for command in COMMANDS:
            walls, cpus = _time([*_examsvc(), *command], env, args.runs)
            medians[command] = statistics.median(walls)
            print(_line("examsvc " + " ".join(command), walls, cpus))
    print(f"examsvc --version / python -c pass (medians, {args.runs} runs): "
          f"{medians[('--version',)] / statistics.median(baseline):.1f}")


if __name__ == "__main__":
    main()
