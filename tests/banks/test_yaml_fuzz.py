"""Issue 17 item 6: whatever a hostile editor writes as a YAML value (tags, impossible dates, aliases,
numbers YAML rewrites), the reader either reads the file or refuses it with problems that name the
file and a line, in Chinese; no other exception escapes (which would be a traceback or a 500)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from examsvc.banks import service
from examsvc.banks.problems import BankImportRejected
from tests.banks.builders import bank, to_yaml

LINES = to_yaml(bank()).decode("utf-8").splitlines()
FIELD_LINES = [n for n, line in enumerate(LINES) if ": " in line]
VALUES = ["2026-02-30", ".inf", ".nan", "0x1F", "0o17", "1:20", "1_000", "0012", "3.10", "!!float 1", "!!int '12'",
          "!!str 12", "~", "[a, {b: c}]", "*x", "&x a", "!!timestamp 2026-01-01", "!!timestamp x", "!!bool yes",
          "!!null ''", "{<<: {a: 1}}", "!!map {}", "!!seq []", "!!str [a]", "!!int x", "!!float x", "!!bool x",
          "! x", "!!python/name:os.system ''", "!!python/object/new:int [1]", "!!binary aGk=", "!!set {a}",
          "!!omap [a: 1]", "!local x", "yes", "off", "2026-06-01 10:00:00", "\"\\x07\"", "'", "\"", "[", "{", "|",
          ">-\n", "@x", "`x", "%x"]
# Words a message may quote because the file says them (tags), and the format's own names.
QUOTED = {"YAML", "YYYY", "examsvc", "bank", "python", "object", "apply", "name", "system", "binary", "timestamp",
          "float", "bool", "null", "omap", "local", "practical", "import", "new",
          "national", "provincial", "true", "false"}  # values the message lists as the choices


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(FIELD_LINES), st.sampled_from(VALUES))
def test_any_value_is_read_or_refused_with_a_line_in_chinese(line: int, value: str) -> None:
    lines = list(LINES)
    lines[line] = lines[line].split(": ", 1)[0] + ": " + value
    try:
        service.parse_bank_file(("\n".join(lines) + "\n").encode("utf-8"), "fuzz.yaml")
    except BankImportRejected as rejected:
        assert rejected.problems
        for problem in rejected.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.line is not None or problem.field is not None, str(problem)
            english = set(re.findall(r"[A-Za-z]{4,}", problem.message)) - QUOTED
            assert not english, str(problem)
