"""The auditor's in-browser verifier (examsvc/web/static/tlog-verify.js) in Chromium, against the very vectors
the Python core is tested with (tests/tlog/test_rfc6962.py: RFC 6962 roots and proofs, the C2SP signed-note
example), every proof of a 40-leaf tree made by the Python core, and a small log signed by it.

No server is needed: Playwright answers for http://localhost (a secure context, so WebCrypto is there) with
a blank page and the module file itself."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, Route

from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, verifier_of
from examsvc.tlog.checkpoint import Checkpoint
from examsvc.tlog.proofs import consistency_proof, inclusion_proof
from examsvc.tlog.rfc6962 import leaf_hash, root_of
from tests.tlog.test_rfc6962 import CONSISTENCY, INCLUSION, LEAVES, NOTE, ROOTS, TEXT, VKEY, _peter, _stored

MODULE = Path(__file__).parents[3] / "examsvc" / "web" / "static" / "tlog-verify.js"
ORIGIN = "http://localhost"


def _serve(route: Route) -> None:
    if route.request.url.endswith("/tlog-verify.js"):
        route.fulfill(body=MODULE.read_bytes(), content_type="text/javascript; charset=utf-8")
    else:
        route.fulfill(body="<!doctype html><title>verifier</title>", content_type="text/html; charset=utf-8")


@pytest.fixture(scope="module")
def js(browser: Browser) -> Iterator[Page]:
    assert MODULE.is_file(), MODULE  # a route handler that raises never answers: the import would hang
    context = browser.new_context()
    context.route(f"{ORIGIN}/**", _serve)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    page.evaluate("async () => { window.tv = await import('/tlog-verify.js'); }")
    yield page
    context.close()


def run(page: Page, body: str, arg: Any = None) -> Any:
    """``body`` runs as an async function of (tv, arg); a VerifyError comes back as {"error": code}."""
    return page.evaluate(
        "async ([body, arg]) => { const tv = window.tv; const f = new Function('tv', 'arg', "
        "'return (async () => {' + body + '})()');"
        "try { return await f(tv, arg); } catch (e) { if (e.name === 'VerifyError') return {error: e.code, "
        "message: e.message}; throw e; } }", [body, arg])


HEX = "const h = tv.fromHex; const hs = (xs) => xs.map(tv.fromHex);"


def test_roots_and_the_empty_tree_match_the_reference_vectors(js: Page) -> None:
    roots = run(js, HEX + "const leaves = arg.map(h); const out = [tv.toHex(await tv.rootOf([]))];"
                "for (let n = 1; n <= leaves.length; n++) "
                "out.push(tv.toHex(await tv.rootOf(await Promise.all(leaves.slice(0, n).map(tv.leafHash)))));"
                "return out;", [x.hex() for x in LEAVES])
    assert roots == ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", *[r.hex() for r in ROOTS]]


def test_the_reference_inclusion_and_consistency_proofs_verify(js: Page) -> None:
    inclusion = [(i, n, LEAVES[i].hex(), path, ROOTS[n - 1].hex()) for i, n, path in INCLUSION]
    consistency = [(m, n, ROOTS[m - 1].hex(), ROOTS[n - 1].hex(), path) for m, n, path in CONSISTENCY]
    done = run(js, HEX + "let k = 0;"
               "for (const [i, n, leaf, path, root] of arg[0]) {"
               "  await tv.verifyInclusion(i, n, await tv.leafHash(h(leaf)), hs(path), h(root)); k++; }"
               "for (const [m, n, r1, r2, path] of arg[1]) {"
               "  await tv.verifyConsistency(m, n, h(r1), h(r2), hs(path)); k++; }"
               "return k;", [inclusion, consistency])
    assert done == len(INCLUSION) + len(CONSISTENCY)


def test_every_proof_the_python_core_makes_for_40_leaves_verifies_in_the_browser(js: Page) -> None:
    data = [bytes([i]) * (i % 5) for i in range(40)]
    stored = _stored([leaf_hash(x) for x in data])
    roots = [root_of([leaf_hash(x) for x in data[:n]]).hex() for n in range(1, 41)]
    inclusion = [(i, n, [p.hex() for p in inclusion_proof(i, n, stored)]) for n in range(1, 41) for i in range(n)]
    consistency = [(m, n, [p.hex() for p in consistency_proof(m, n, stored)])
                   for n in range(1, 41) for m in range(1, n + 1)]
    checked = run(js, HEX + "const [data, roots, inc, con] = arg; const leaves = [];"
                  "for (const d of data) leaves.push(await tv.leafHash(h(d)));"
                  "for (let n = 1; n <= 40; n++) if (tv.toHex(await tv.rootOf(leaves.slice(0, n))) !== roots[n - 1])"
                  "  throw new Error('root ' + n);"
                  "for (const [i, n, p] of inc) await tv.verifyInclusion(i, n, leaves[i], hs(p), h(roots[n - 1]));"
                  "for (const [m, n, p] of con)"
                  "  await tv.verifyConsistency(m, n, h(roots[m - 1]), h(roots[n - 1]), hs(p));"
                  "return inc.length + con.length;", [[x.hex() for x in data], roots, inclusion, consistency])
    assert checked == 820 + 820


def test_wrong_proofs_are_refused_as_in_python(js: Page) -> None:
    stored = _stored([leaf_hash(x) for x in LEAVES])
    proof = [p.hex() for p in inclusion_proof(5, 8, stored)]
    con = [p.hex() for p in consistency_proof(6, 8, stored)]
    leaf5, r5, r6, r8 = leaf_hash(LEAVES[5]).hex(), ROOTS[4].hex(), ROOTS[5].hex(), ROOTS[7].hex()
    cases = [
        f"await tv.verifyInclusion(4, 8, h('{leaf5}'), hs(arg.p), h('{r8}'))",
        f"await tv.verifyInclusion(5, 8, h('{leaf5}'), hs(arg.p.slice(0, -1)), h('{r8}'))",
        f"await tv.verifyInclusion(5, 8, h('{leaf5}'), hs([...arg.p, arg.p[0]]), h('{r8}'))",
        f"await tv.verifyInclusion(8, 8, h('{leaf5}'), hs(arg.p), h('{r8}'))",
        f"await tv.verifyConsistency(6, 8, h('{r5}'), h('{r8}'), hs(arg.c))",
        f"await tv.verifyConsistency(6, 8, h('{r6}'), h('{r8}'), hs([...arg.c].reverse()))",
        f"await tv.verifyConsistency(8, 8, h('{r6}'), h('{r8}'), [])",
    ]
    for case in cases:
        assert run(js, HEX + case + "; return 'accepted';", {"p": proof, "c": con})["error"] in (
            "bad_proof", "inconsistent"), case
    # The right arguments pass, so the refusals above are the proofs' fault and not the harness's.
    assert run(js, HEX + f"await tv.verifyInclusion(5, 8, h('{leaf5}'), hs(arg.p), h('{r8}'));"
               f"await tv.verifyConsistency(6, 8, h('{r6}'), h('{r8}'), hs(arg.c)); return 'ok';",
               {"p": proof, "c": con}) == "ok"


def test_the_c2sp_signed_note_example_opens_and_changes_are_refused(js: Page) -> None:
    other = sign_note(TEXT, Ed25519Signer("PeterNeumann", Ed25519PrivateKey.generate()))
    key = run(js, "const k = await tv.parseVkey(arg); return [k.name, tv.toHex(k.keyId)];", VKEY)
    assert key == ["PeterNeumann", "c74f20a3"]
    opened = run(js, "return await tv.openNote(arg[0], await tv.parseVkey(arg[1]));", [NOTE, VKEY])
    assert opened == TEXT
    changed = run(js, "return await tv.openNote(arg[0], await tv.parseVkey(arg[1]));",
                  [NOTE.replace("cryptography", "cryptographY"), VKEY])
    assert changed["error"] == "bad_signature"
    assert run(js, "return await tv.openNote(arg[0], await tv.parseVkey(arg[1]));", [other, VKEY])["error"] \
        == "unknown_key"
    assert run(js, "return await tv.parseVkey(arg);", VKEY.replace("c74f20a3", "c74f20a4"))["error"] == "bad_key"
    assert run(js, "return await tv.parseVkey(arg);", "PeterNeumann+c74f20a3+AAAA")["error"] == "bad_key"
    assert verifier_of(_peter()).vkey() == VKEY  # the same key the Python test signs with


def test_checkpoint_bodies_parse_as_in_python(js: Page) -> None:
    body = Checkpoint(origin="exam.example.cn/log", size=8, root=ROOTS[7]).body()
    parsed = run(js, "const c = tv.parseCheckpoint(arg); return [c.origin, c.size, tv.toHex(c.root)];", body)
    assert parsed == ["exam.example.cn/log", 8, ROOTS[7].hex()]
    assert run(js, "return tv.parseCheckpoint(arg).size;", body + "extension line\n") == 8
    for bad in ("exam\n08\nAAAA\n", "exam\nx\n" + base64.b64encode(ROOTS[0]).decode() + "\n", "exam\n8\n",
                "\n8\n" + base64.b64encode(ROOTS[0]).decode() + "\n", "exam\n8\nAAAA\n"):
        assert run(js, "return tv.parseCheckpoint(arg);", bad)["error"] in ("bad_checkpoint", "bad_base64"), bad


def _log(n: int) -> list[bytes]:
    """Entries shaped like docs/audit-log.md's, chained by ``prev`` as the log chains them."""
    out: list[bytes] = []
    for i in range(n):
        entry = {"index": i, "time": f"2026-12-06T08:00:{i:02d}.000000Z", "action": "test.entry",
                 "actor": {"type": "system", "name": "测试"}, "subject": None, "details": {"n": i},
                 "request_id": None, "prev": leaf_hash(out[-1]).hex() if out else ""}
        out.append(canonical_json(entry))
    return out


def test_a_log_signed_by_the_python_core_verifies_and_a_changed_entry_is_named(js: Page) -> None:
    signer = Ed25519Signer("exam.example.cn/log", Ed25519PrivateKey.generate())
    entries = _log(11)
    note = sign_note(Checkpoint("exam.example.cn/log", 11, root_of([leaf_hash(e) for e in entries])).body(), signer)
    vkey = verifier_of(signer).vkey()
    check = ("const k = await tv.parseVkey(arg.vkey); const cp = await tv.openCheckpoint(arg.note, k);"
             "const bytes = new TextEncoder().encode(arg.lines);"
             "await tv.verifyEntries(cp, tv.splitLines(bytes)); return cp.size;")
    lines = b"".join(e + b"\n" for e in entries).decode()
    assert run(js, check, {"vkey": vkey, "note": note, "lines": lines}) == 11
    # An insider rewrites entry 4 in place: entry 5's prev names it.
    forged = [*entries[:4], entries[4].replace(b'"n":4', b'"n":7'), *entries[5:]]
    refused = run(js, check, {"vkey": vkey, "note": note, "lines": b"".join(e + b"\n" for e in forged).decode()})
    assert refused["error"] == "bad_entry" and "条目 4 被改动过" in refused["message"]
    # ... and recomputes every prev after it: the root no longer matches the signed one.
    rechained = _log(11)
    rechained[4] = canonical_json({**json.loads(rechained[4]), "details": {"n": 7}})
    for i in range(5, 11):
        rechained[i] = canonical_json({**json.loads(rechained[i]), "prev": leaf_hash(rechained[i - 1]).hex()})
    refused = run(js, check, {"vkey": vkey, "note": note, "lines": b"".join(e + b"\n" for e in rechained).decode()})
    assert refused["error"] == "bad_root"
    # A checkpoint signed by another key is refused with the pinned one.
    stranger = Ed25519Signer("exam.example.cn/log", Ed25519PrivateKey.generate())
    body = Checkpoint("exam.example.cn/log", 11, root_of([leaf_hash(e) for e in entries])).body()
    foreign = sign_note(body, stranger)
    assert run(js, check, {"vkey": vkey, "note": foreign, "lines": lines})["error"] == "unknown_key"
