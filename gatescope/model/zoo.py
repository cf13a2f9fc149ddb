"""Built-in models: the .npz files in resources/models, each with a model card NAME.md beside it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from gatescope._paths import resources_dir
from gatescope.errors import GatescopeError
from gatescope.model.formats import native


def models_dir() -> Path:
    return resources_dir() / "models"


def model_path(name: str) -> Path | None:
    """Path of built-in model ``name``, or None when there is no such model."""
    path = models_dir() / f"{name}.npz"
    try:
        return path if path.is_file() else None
    except OSError:  # a name no file can have (too long for the file system) is no built-in model
        return None


@lru_cache(maxsize=1)
def _catalogue(folder: Path) -> tuple[tuple[str, str], ...]:
    entries = []
    for path in sorted(folder.glob("*.npz")):
        try:
            description = str(native.read_metadata(path).get("description", ""))
        except GatescopeError as error:
            description = f"(unreadable: {error})"
        entries.append((path.stem, description.splitlines()[0] if description else ""))
    return tuple(entries)


def list_models() -> list[tuple[str, str]]:
    """Built-in models as (name, one-line description), sorted by name."""
    return list(_catalogue(models_dir()))


def model_card(name: str) -> str | None:
    """The Markdown model card of a built-in model, or None."""
    card = models_dir() / f"{name}.md"
    return card.read_text(encoding="utf-8") if card.is_file() else None
