"""``examsvc audit verify-sitting CODE``: every fact of a sitting that decides a qualification, checked
against the log and the signatures, never against the database's own word.

A *check* is a function ``(Context) -> Iterable[Finding]`` registered with ``@check("name")`` in a
module listed in ``registry.MODULES``. It yields a ``Finding`` for each mismatch, naming the table,
the row, the field and, where there is one, the log entry it contradicts. A check that raises is
itself a finding ("could not be checked"), so one broken row never hides the others and the command
never ends in a traceback. The verdict is the list of findings: empty means every check passed.
"""

from __future__ import annotations

from examsvc.audit.sitting_check.core import Context, Finding, check, run_checks

__all__ = ["Context", "Finding", "check", "run_checks"]
