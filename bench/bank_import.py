"""Import a SYNTHETIC 20,000-question bank into a fresh database; compare with only parsing the file.

Prints the parse time, the import time (parse + validate + digest + write + commit) and, last, their
ratio. Goal: ratio <= 3. Database: a fresh SQLite file, or EXAMSVC_BENCH_DATABASE_URL (which must
point at an empty database; the schema is built by the migrations).

    .venv/bin/python -m bench.bank_import [--questions N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from examsvc import migrate
from examsvc.audit.actors import Actor
from examsvc.banks import service
from examsvc.banks.synthetic import synthetic_bank
from examsvc.banks.yaml_format import read_yaml, write_yaml
from examsvc.bootstrap import transaction
from examsvc.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = write_yaml(synthetic_bank(args.questions))
    print(f"synthetic bank: {args.questions} questions, {len(data) / 1e6:.1f} MB of YAML")

    parse_times, import_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.repeat):
            started = time.perf_counter()
            read_yaml(data, "synthetic.yaml")
            parse_times.append(time.perf_counter() - started)

            url = os.environ.get("EXAMSVC_BENCH_DATABASE_URL") or f"sqlite:///{Path(folder) / f'bench{run}.sqlite3'}"
            engine = make_engine(url)
            if migrate.current_revision(engine) is not None:
                migrate.downgrade(engine, "base")
            migrate.upgrade(engine)
            started = time.perf_counter()
            with transaction(engine) as db_session:
                result = service.import_file(db_session=db_session, data=data, filename="synthetic.yaml",
                                             actor=Actor.system("benchmark"))
                assert result.created and result.version.question_count == args.questions
            import_times.append(time.perf_counter() - started)
            engine.dispose()
    parse, imported = statistics.median(parse_times), statistics.median(import_times)
    print(f"parse only (median of {args.repeat}): {parse:.2f} s")
    print(f"full import (median of {args.repeat}): {imported:.2f} s")
    print(f"import/parse ratio: {imported / parse:.2f}")


if __name__ == "__main__":
    main()
