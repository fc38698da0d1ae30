"""docs/bank-format.md, issue 16 item 10: which white space the canonical form strips at line ends, and
the revision a question gets when its content returns to an earlier one."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from examsvc.banks.document import BankDocument
from examsvc.banks.validate import build_document
from examsvc.banks.yaml_format import read_yaml
from examsvc.identity.roles import Role
from tests.banks.builders import bank, sc, tf, to_yaml
from tests.banks.test_versions import _import
from tests.builders import Actors

# Unicode's White_Space property (PropList.txt), but for the line ends themselves (LF; CR becomes LF).
UNICODE_WHITE_SPACE = ["\t", "\x0b", "\x0c", " ", "\x85", "\u00a0", "\u1680", *map(chr, range(0x2000, 0x200B)),
                       "\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]


def document(data: dict[str, Any]) -> BankDocument:
    # Escaped ("\\u3000", "\\N"): written raw, U+0085, U+2028 and U+2029 are line breaks to YAML 1.1
    # itself, which folds them before examsvc sees the text (docs/bank-format.md).
    return build_document(read_yaml(yaml.safe_dump(data, allow_unicode=False, sort_keys=False).encode(), "t.yaml"))


@pytest.mark.parametrize("space", UNICODE_WHITE_SPACE, ids=[f"U+{ord(c):04X}" for c in UNICODE_WHITE_SPACE])
def test_white_space_of_every_unicode_kind_at_a_line_end_does_not_change_the_digest(space: str) -> None:
    plain = document(bank(tf("W-1", stem="第一行\n第二行"), sc("W-2", explanation="解析一\n解析二")))
    padded = document(bank(tf("W-1", stem=f"{space}第一行{space * 2}\n第二行{space}"),
                           sc("W-2", explanation=f"解析一{space}\n解析二{space}{space}")))
    assert padded.digest() == plain.digest()
    assert padded.questions[0].stem == "第一行\n第二行"


def test_white_space_inside_a_line_is_kept() -> None:
    plain = document(bank(tf("W-1", stem="安全\u3000电压")))
    assert plain.questions[0].stem == "安全\u3000电压"
    assert plain.digest() != document(bank(tf("W-1", stem="安全电压"))).digest()


def test_a_question_changed_and_changed_back_gets_its_old_revision(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    versions = [
        bank(tf("K-1"), sc("K-2")),
        bank(tf("K-1"), sc("K-2", answer="C"), version="2026.2"),
        bank(tf("K-1"), sc("K-2"), tf("K-5"), version="2026.3"),  # K-2 as in 2026.1 again
    ]
    revisions = []
    for data in versions:
        version_id = _import(actors, admin, to_yaml(data))["version"]["id"]
        listed = actors.client.get(f"/bank-versions/{version_id}/questions", headers=admin).json()
        revisions.append({q["key"]: q["revision"] for q in listed}["K-2"])
    assert revisions == [1, 2, 1]
