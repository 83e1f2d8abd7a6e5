"""The passcode that guards the app when it is served beyond this laptop, stored only as a hash.

`rehearse serve` listens on 127.0.0.1 unless told otherwise; on any other address (a school's
network) every page, recording, export and WebSocket needs a sign-in with the passcode that the
operator set with `rehearse passcode`. The instance folder keeps a salted scrypt hash of it in the
file `passcode` (readable by its owner only), never the passcode itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ..errors import RehearseError

FILE_NAME = "passcode"
MIN_LENGTH = 8
# scrypt's cost: ~50 ms and 16 MB per check on a school laptop; slow for guessing, quick for a person.
N, R, P = 2**14, 8, 1


def passcode_file(instance: Path) -> Path:
    return Path(instance) / FILE_NAME


def hash_passcode(passcode: str) -> str:
    """A self-describing salted hash: scrypt$N$r$p$salt$hash (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(passcode.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def matches(stored: str, attempt: str) -> bool:
    """Does `attempt` hash to `stored`? Compared in constant time; a malformed hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = stored.strip().split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(attempt.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                  dklen=len(digest) // 2)
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(computed.hex(), digest)


def stored_hash(instance: Path) -> str | None:
    """The stored hash, or None when no passcode is set."""
    path = passcode_file(instance)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def set_passcode(instance: Path, passcode: str) -> Path:
    """Store the hash of a new passcode (replacing any earlier one: every sign-in made with the old
    one ends). Returns the file written."""
    if len(passcode) < MIN_LENGTH:
        raise RehearseError(f"the passcode is too short ({len(passcode)} characters); "
                            f"choose one of at least {MIN_LENGTH}")
    if passcode != passcode.strip():
        raise RehearseError("the passcode starts or ends with a space; choose one without")
    path = passcode_file(instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(hash_passcode(passcode) + "\n")
    os.replace(part, path)
    return path


def remove_passcode(instance: Path) -> bool:
    """Forget the passcode; True if there was one."""
    try:
        passcode_file(instance).unlink()
    except FileNotFoundError:
        return False
    return True


def fingerprint(stored: str) -> str:
    """A short tag of the stored hash, kept in a sign-in: a new passcode ends the old sign-ins."""
    return hashlib.sha256(stored.encode()).hexdigest()[:16]
