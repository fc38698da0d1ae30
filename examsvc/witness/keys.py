"""The witness's identity: its name and Ed25519 cosignature key, made at first start in its data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from examsvc.audit.keys import generate_key_file, read_key_file
from examsvc.crypto.signed_note import NoteError
from examsvc.tlog.cosignature import CosignatureSigner
from examsvc.witness.store import WitnessStore

KEY_FILE = "witness-ed25519.pem"
STORE_FILE = "witness.sqlite3"
# C2SP tlog-cosignature §Format: the name "SHOULD be a schema-less URL that identifies the cosigner".
DEFAULT_NAME = "witness.localhost/examsvc"


class WitnessSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Witness:
    store: WitnessStore
    signer: CosignatureSigner


def open_witness(data_dir: Path, name: str | None = None) -> Witness:
    """The witness in ``data_dir``, created on first use (folder 0700, key 0600). Its name is fixed then:
    clients pin name and key together (the key ID hashes both)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    store = WitnessStore(data_dir / STORE_FILE)
    stored = store.get_meta("name")
    if stored is None:
        stored = name or DEFAULT_NAME
        store.set_meta("name", stored)
    elif name is not None and name != stored:
        raise WitnessSetupError(f"this witness is named {stored!r}; its name cannot change to {name!r}")
    key_path = data_dir / KEY_FILE
    generate_key_file(key_path)
    try:
        signer = CosignatureSigner(stored, read_key_file(key_path, "见证者密钥文件"))
    except NoteError as exc:
        raise WitnessSetupError(f"witness name {stored!r}: {exc}") from None
    return Witness(store=store, signer=signer)
