"""The key that signs index files, kept outside every library folder.

Whoosh's index files hold pickles, and unpickling runs code. A library folder
is data a user may receive from someone else, so an index file is only read
when it carries a signature (an HMAC) made with this key: a copied library's
index does not verify here and is rebuilt from the store instead of read.

The key lives in the user's data folder (``$NEWSDESK_KEY_DIR`` overrides it),
mode 0600, created on first use."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

KEY_FILE = "index.key"
_KEY_BYTES = 32
_lock = threading.Lock()
_cache: dict[Path, bytes] = {}
# Where no key can be kept (a read-only home): one for this process only, so
# an index it rebuilt is usable until it exits and rebuilt again next time.
_ephemeral = secrets.token_bytes(_KEY_BYTES)


def key_dir() -> Path:
    env = os.environ.get("NEWSDESK_KEY_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsdesk", appauthor=False))


def _read(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o077:
            try:  # a key others can read signs nothing they could not forge
                os.fchmod(fd, 0o600)
            except OSError:
                return None
        data = os.read(fd, 1024).strip()
    finally:
        os.close(fd)
    try:
        key = bytes.fromhex(data.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    return key if len(key) == _KEY_BYTES else None


def _create(path: Path) -> bytes | None:
    try:
        path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _read(path)  # another process made it first
    except OSError:
        return None
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        os.write(fd, key.hex().encode("ascii") + b"\n")
        os.fsync(fd)
    except OSError:
        os.close(fd)
        path.unlink(missing_ok=True)
        return None
    os.close(fd)
    return key


def index_key() -> bytes:
    """This user's signing key (created on first use)."""
    path = key_dir() / KEY_FILE
    with _lock:
        key = _cache.get(path)
        if key is None:
            key = _read(path)
            if key is None and not path.exists():
                key = _create(path)
            key = key or _ephemeral
            _cache[path] = key
        return key


def key_id(key: bytes) -> str:
    """A public name for the key, so a file signed with another one can be told apart."""
    return hmac.new(key, b"newsdesk index key id", hashlib.sha256).hexdigest()[:16]
