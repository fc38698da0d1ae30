"""Who did it: the actor recorded in every log entry."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Actor:
    type: str  # "user", "workstation" or "system"
    id: int | None = None
    roles: tuple[str, ...] = ()
    label: str | None = None  # username, or what a system actor is (the CLI, start-up)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def user(cls, user_id: int, username: str, roles: tuple[str, ...]) -> Actor:
        return cls(type="user", id=user_id, roles=tuple(sorted(roles)), label=username)

    @classmethod
    def workstation(cls, workstation_id: int, site_id: int) -> Actor:
        return cls(type="workstation", id=workstation_id, extra={"site_id": site_id})

    @classmethod
    def system(cls, what: str = "examsvc") -> Actor:
        return cls(type="system", label=what)

    @classmethod
    def cli(cls) -> Actor:
        """An administrator at the server's shell: the OS account is what we know of them."""
        try:
            os_user = getpass.getuser()
        except (KeyError, OSError):
            os_user = "unknown"
        return cls(type="system", label="cli", extra={"os_user": os_user})

    @property
    def user_id(self) -> int | None:
        return self.id if self.type == "user" else None

    def as_entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.id is not None:
            out["id"] = self.id
        if self.roles:
            out["roles"] = list(self.roles)
        if self.label is not None:
            out["name"] = self.label
        out.update(self.extra)
        return out
