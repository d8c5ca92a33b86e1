"""The user's TUI settings: a TOML file in the platform's config folder.

    [keymap]
    star = "f"            # binding id = key(s), comma-separated for several
    "list.down" = "j,down"

    [ui]
    theme = "solarized-light"   # saved by the reader when the theme is changed

Unknown binding ids and themes are reported, not fatal: a typo must not stop the reader.
"""

from __future__ import annotations

import json
import os
import re
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
    theme: str | None = None
    # Only a config read from the user's file is written back (the chosen
    # theme); one built in code (tests, snapshots) never touches a file.
    persist: bool = False


def load_config(path: Path | None = None) -> TuiConfig:
    path = path or config_path()
    cfg = TuiConfig(path=path, persist=True)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return cfg
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        cfg.problems.append(f"{path}: {exc}")
        cfg.persist = False  # never overwrite a file we could not read
        return cfg
    ui = data.get("ui", {})
    if isinstance(ui, dict) and isinstance(ui.get("theme"), str) and ui["theme"].strip():
        cfg.theme = ui["theme"].strip()
    elif "ui" in data:
        cfg.problems.append(f"{path}: [ui] theme must be a theme name, e.g. theme = \"textual-light\"")
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


_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_THEME_KEY = re.compile(r"^\s*theme\s*=")


def save_theme(path: Path, theme: str) -> None:
    """Set ``[ui] theme`` in the config file, keeping every other line (and
    comment) as the user wrote it; the file is replaced whole, never half
    written. Raises OSError, or ValueError when the edit would not read back
    (a file laid out in a way this line edit does not understand)."""
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        old = ""
    line = f"theme = {json.dumps(theme)}"  # a TOML basic string (theme names are plain)
    lines = old.splitlines()
    section = None
    ui_at = None
    done = False
    for i, text in enumerate(lines):
        m = _TABLE.match(text)
        if m:
            section = m.group(1)
            if section == "ui":
                ui_at = i
            continue
        if section == "ui" and _THEME_KEY.match(text):
            lines[i] = line
            done = True
            break
    if not done:
        if ui_at is not None:
            lines.insert(ui_at + 1, line)
        else:
            lines += ([""] if lines and lines[-1].strip() else []) + ["[ui]", line]
    new = "\n".join(lines) + "\n"
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"cannot add the theme to {path}: {exc}") from exc
    ui = parsed.get("ui")
    if not isinstance(ui, dict) or ui.get("theme") != theme:
        raise ValueError(f"cannot add the theme to {path}: it sets [ui] in a way this edit does not handle")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
