"""The user's TUI settings: a TOML file in the platform's config folder.

    [keymap]
    star = "f"            # binding id = key(s), comma-separated for several
    "list.down" = "j,down"

Unknown binding ids are reported, not fatal: a typo must not stop the reader.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


def config_path() -> Path:
    env = os.environ.get("NEWSDESK_CONFIG")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("newsdesk", appauthor=False)) / "config.toml"


@dataclass
class TuiConfig:
    keymap: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def load_config(path: Path | None = None) -> TuiConfig:
    path = path or config_path()
    cfg = TuiConfig(path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return cfg
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        cfg.problems.append(f"{path}: {exc}")
        return cfg
    keymap = data.get("keymap", {})
    if not isinstance(keymap, dict):
        cfg.problems.append(f"{path}: [keymap] must be a table of binding id = \"key\"")
        return cfg
    for binding_id, keys in keymap.items():
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(keys, str) or not keys.strip():
            cfg.problems.append(f"{path}: keymap {binding_id!r} must be a key string")
            continue
        cfg.keymap[str(binding_id)] = keys.strip()
    return cfg
