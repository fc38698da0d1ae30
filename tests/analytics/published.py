"""A theory sitting of three candidates answered, closed and (with ``publish``) its results published."""

from __future__ import annotations

from tests.attempts.exam import PASSPHRASE, Exam


def finish(exam: Exam) -> dict[int, dict[int, str]]:
    """Candidate 0: wrong on the first five, right after, blank from 40 on; 1: blank; 2: all right."""
    right = {i: exam.correct(i) for i in (0, 2)}
    wanted: dict[int, dict[int, str]] = {0: {}, 1: {}, 2: dict(enumerate(right[2]))}
    for position, response in enumerate(right[0][:40]):
        wanted[0][position] = exam.wrong(response) if position < 5 else response
    for i in (0, 1, 2):
        assert exam.start(i).status_code == 200
    for i, answers in wanted.items():
        exam.answer(i, [answers[position] for position in range(len(answers))])
        assert exam.submit(i).status_code == 200
    assert exam.client.post(f"/sittings/{exam.code}/close", headers=exam.chief,
                            json={"passphrase": PASSPHRASE}).status_code == 200
    return wanted


def publish(exam: Exam) -> None:
    published = exam.client.post(f"/sittings/{exam.code}/results/publish", headers=exam.chief,
                                 json={"passphrase": PASSPHRASE})
    assert published.status_code == 201, published.text
