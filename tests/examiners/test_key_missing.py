"""A chief examiner without a key is a state to fix, not a missing resource (issue 16 item 5): every
route that meets it answers 409 ``examiner_key_missing``."""

from __future__ import annotations

from examsvc.identity.roles import Role
from tests.builders import Actors


def test_a_chief_examiner_without_a_key_is_a_conflict_wherever_it_is_met(actors: Actors) -> None:
    chief = actors.user_with(Role.CHIEF_EXAMINER)
    chief_id = actors.client.get("/auth/me", headers=chief).json()["id"]
    auditor = actors.user_with(Role.AUDITOR)
    # Reading the verifier key (examiners.verifier_for) and unlocking it (examiners.unlock).
    for response in (actors.client.get(f"/examiners/{chief_id}/key", headers=auditor),
                     actors.client.post("/examiners/me/key/exchange", headers=chief,
                                        json={"passphrase": "a long examiner passphrase"})):
        assert (response.status_code, response.json()["error"]) == (409, "examiner_key_missing"), response.text
        assert response.json()["detail"]["user_id"] == chief_id
    document = actors.client.get("/openapi.json").json()
    assert "409" in document["paths"]["/examiners/{user_id}/key"]["get"]["responses"]
