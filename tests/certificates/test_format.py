"""The signed form (docs/certificates.md): the documented test vector, independent COSE/CWT/Base45
implementations agree with ours, the QR size, and every kind of bad input is a ``FormError``."""

from __future__ import annotations

import os
import random
import re
import zlib
from pathlib import Path

import base45 as reference_base45
import cbor2
import cwt
import pytest
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.keys import OKPKey
from pycose.messages import Sign1Message

from examsvc.certificates import base45, signed_form
from examsvc.certificates.catalogue import SPECIAL_OPERATION_ITEMS, competence_item
from examsvc.certificates.numbering import format_number
from examsvc.certificates.signed_form import Claims, FormError, Kind, key_id, open_form, seal
from tests.certificates import vector

pytestmark = pytest.mark.db_agnostic

DOCS = Path(__file__).resolve().parents[2] / "docs" / "certificates.md"
KEYS = {key_id(vector.PUBLIC): vector.KEY.public_key()}


def _documented(name: str) -> str:
    """A value of the vector as docs/certificates.md prints it: a line ``name: value`` in its code block."""
    found = re.search(rf"^{name}: (.+)$", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"docs/certificates.md has no '{name}:' line"
    return found.group(1).strip()


def test_the_documented_vector_is_what_the_code_makes() -> None:
    made = vector.signed()
    assert _documented("cose") == made.cose.hex()
    assert _documented("digest") == made.digest
    # The QR text as documented decodes to the same bytes (zlib's output may differ between zlib builds).
    assert signed_form.decode_text(_documented("text")) == made.cose
    opened = open_form(_documented("text"), KEYS)
    assert opened.claims == vector.CLAIMS
    assert opened.claims.id_matches(vector.ID_NUMBER) and opened.claims.id_matches(vector.ID_NUMBER.lower())
    assert not opened.claims.id_matches("110105194912310029")


def test_pycose_verifies_our_signature_and_reads_our_header() -> None:
    made = vector.signed()
    message = Sign1Message.decode(made.cose)
    message.key = OKPKey(crv="ED25519", x=vector.PUBLIC)
    assert message.verify_signature()
    assert message.phdr_encoded == cbor2.dumps({1: -8, 4: key_id(vector.PUBLIC)})
    assert cbor2.loads(message.payload)[-1] == "T2026000123"
    tampered = Sign1Message.decode(made.cose)
    tampered.payload = message.payload.replace(b"T2026000123", b"T2026000124")
    tampered.key = message.key
    assert not tampered.verify_signature()


def test_the_cwt_library_decodes_our_claims_and_signs_what_we_accept() -> None:
    made = vector.signed()
    cose_key = {1: 1, 2: key_id(vector.PUBLIC), 3: -8, -1: 6, -2: vector.PUBLIC}  # OKP, kid, EdDSA, Ed25519, x
    public = cwt.COSEKey.new(cose_key)
    claims = cwt.decode(made.cose, public, no_verify=True)
    assert claims[1] == "CN-14" and claims[-6] == "王建国" and claims[-9] == "2029-12-06"
    with pytest.raises(cwt.VerifyError):
        cwt.decode(made.cose[:-1] + bytes([made.cose[-1] ^ 1]), public, no_verify=True)
    # The other way round: a CWT signed by the library with the same key and claims opens with our code
    # (it adds the CWT tag 61 and puts the key id in the unprotected header).
    private = cwt.COSEKey.new({**cose_key, -4: vector.SECRET})
    theirs = cwt.encode(vector.CLAIMS.as_cbor_map(), private, tagged=True)
    assert theirs[:2] == b"\xd8\x3d"
    text = signed_form.PREFIX + base45.encode(zlib.compress(theirs))
    assert open_form(text, KEYS).claims == vector.CLAIMS


def test_base45_agrees_with_an_independent_implementation_and_rfc_9285() -> None:
    for raw, text in ((b"AB", "BB8"), (b"Hello!!", "%69 VD92EX0"), (b"base-45", "UJCLQE7W581"), (b"ietf!", "QED8WEX0")):
        assert base45.encode(raw) == text and base45.decode(text) == raw
    rng = random.Random(9285)
    for size in range(0, 300, 7):
        raw = rng.randbytes(size)
        assert base45.encode(raw) == reference_base45.b45encode(raw).decode()
        assert base45.decode(base45.encode(raw)) == raw
    for bad in ("GGW", "A", "ab", "ÄBC", "::::"):
        with pytest.raises(base45.Base45Error):
            base45.decode(bad)


def test_the_sig_structure_built_by_concatenation_is_the_cbor_one() -> None:
    for payload in (b"", b"x" * 23, b"x" * 24, b"x" * 255, b"x" * 256, b"x" * 3000):
        assert signed_form.sig_structure(b"\xa1\x01\x27", payload) == cbor2.dumps(
            ["Signature1", b"\xa1\x01\x27", b"", payload])


def _longest_claims(name_chars: int) -> Claims:
    longest_item = max(SPECIAL_OPERATION_ITEMS.items(), key=lambda kv: len(kv[1].encode()))
    number = format_number("{kind}{year}{serial:06d}", Kind.SPECIAL_OPERATIONS, 2026, 999_999)
    return Claims(issuer="CN-14", issued_at=2_000_000_000, expires_at=2_200_000_000, number=number, sequence=9,
                  kind=Kind.SPECIAL_OPERATIONS, item=longest_item[0], item_name=longest_item[1],
                  holder="欧阳" + "建" * (name_chars - 2), id_salt=os.urandom(8), id_hash=os.urandom(16),
                  review_due=signed_form.date(2031, 12, 31))


@pytest.mark.parametrize("name_chars", [2, 3, 4])
def test_the_documented_fields_fit_a_version_11_qr_at_error_correction_m(name_chars: int) -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = seal(_longest_claims(name_chars), sign=key.sign, public_key=public).text
    qr = segno.make(text, error="m", boost_error=False)
    assert qr.version <= 11 and qr.error == "M", (len(text), qr.version)
    code, name = competence_item("principal", "metal_nonmetal_mine")
    claims = _longest_claims(4)
    competence = Claims(**{**claims.__dict__, "kind": Kind.SAFETY_COMPETENCE, "item": code, "item_name": name,
                           "review_due": None})
    assert segno.make(seal(competence, sign=key.sign, public_key=public).text, error="m",
                      boost_error=False).version <= 11


def _other_key_text() -> str:
    other = Ed25519PrivateKey.generate()
    public = other.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return seal(vector.CLAIMS, sign=other.sign, public_key=public).text


def _resealed(mutate) -> str:  # type: ignore[no-untyped-def]
    """The vector's COSE structure changed by ``mutate`` (on the decoded array), re-encoded as a QR text."""
    tag = cbor2.loads(vector.signed().cose)
    parts = list(tag.value)
    mutate(parts)
    return signed_form.PREFIX + base45.encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(tag.tag, parts))))


def _edit_claim(parts: list) -> None:  # type: ignore[type-arg]
    claims = cbor2.loads(parts[2])
    claims[-1] = "T2026000999"  # the number edited after signing, the signature kept
    parts[2] = cbor2.dumps(claims)


def _kid_of_nobody(parts: list) -> None:  # type: ignore[type-arg]
    parts[0] = cbor2.dumps({1: -8, 4: b"\x00" * 8})


BAD = {
    "forged signature": (lambda: _resealed(lambda p: p.__setitem__(3, bytes(64))), "bad_signature"),
    "field edited after signing": (lambda: _resealed(_edit_claim), "bad_signature"),
    "signed by an unknown key": (_other_key_text, "unknown_key"),
    "key id of nobody": (lambda: _resealed(_kid_of_nobody), "unknown_key"),
    "other algorithm": (lambda: _resealed(lambda p: p.__setitem__(0, cbor2.dumps({1: -7, 4: b"1" * 8}))), "bad_alg"),
    "no key id": (lambda: _resealed(lambda p: p.__setitem__(0, cbor2.dumps({1: -8}))), "bad_kid"),
    "truncated": (lambda: signed_form.PREFIX + base45.encode(zlib.compress(vector.signed().cose)[:-10]), "bad_zlib"),
    "one character cut": (lambda: vector.signed().text[:-1], "bad_base45"),
    "lower case": (lambda: vector.signed().text.lower(), "bad_prefix"),
    "garbage": (lambda: "SQ1:这不是证书", "bad_base45"),
    "another prefix": (lambda: "HC1:" + vector.signed().text[4:], "bad_prefix"),
    "empty": (lambda: "", "bad_prefix"),
    "huge": (lambda: "SQ1:" + "A" * 100_000, "too_long"),
    "zip bomb": (lambda: signed_form.PREFIX + base45.encode(zlib.compress(b"\x00" * 2_000_000, 9)), "bad_zlib"),
    "beyond the text bound": (lambda: signed_form.PREFIX + base45.encode(os.urandom(3000)), "too_long"),
    "not COSE": (lambda: signed_form.PREFIX + base45.encode(zlib.compress(cbor2.dumps([1, 2, 3]))), "bad_cose"),
    "deep nesting": (lambda: signed_form.PREFIX + base45.encode(zlib.compress(b"\x81" * 3000 + b"\x00")),
                     "bad_cbor"),
    "not CBOR": (lambda: signed_form.PREFIX + base45.encode(zlib.compress(b"\x1f\x00")), "bad_cbor"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_its_reason(case: str) -> None:
    make, code = BAD[case]
    with pytest.raises(FormError) as refused:
        open_form(make(), KEYS)
    assert refused.value.code == code, str(refused.value)
    assert "SQ1:" not in str(refused.value)[5:] or code == "bad_prefix"


def test_claims_of_the_wrong_type_are_refused_even_when_signed() -> None:
    for claim, value in ((-2, True), (-1, 123), (-3, 9), (-9, "2029-13-01"), (6, "now"), (-7, "salt")):
        claims = {**vector.CLAIMS.as_cbor_map(), claim: value}
        protected = cbor2.dumps({1: -8, 4: key_id(vector.PUBLIC)})
        payload = cbor2.dumps(claims)
        signature = vector.KEY.sign(signed_form.sig_structure(protected, payload))
        cose = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
        with pytest.raises(FormError) as refused:
            open_form(signed_form.PREFIX + base45.encode(zlib.compress(cose)), KEYS)
        assert refused.value.code == "bad_claims", (claim, value)


def test_random_damage_never_raises_anything_but_form_error() -> None:
    text = vector.signed().text
    rng = random.Random(20)
    alphabet = base45.ALPHABET + "a~é\x00"
    for _ in range(1500):
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(chars))
            action = rng.random()
            if action < 0.5:
                chars[position] = rng.choice(alphabet)
            elif action < 0.75:
                del chars[position]
            else:
                chars.insert(position, rng.choice(alphabet))
        damaged = "".join(chars)
        try:
            opened = open_form(damaged, KEYS)
        except FormError:
            continue
        assert opened.cose == vector.signed().cose  # only a damage that changed nothing may open
