"""Which landing files a build would load: each delivery against bronze's manifest of loaded
files (`bronze.landing_files`, written by the bronze models as they load a file).

The states are the ones the build itself decides on (macros/landing/landing_file_batch.sql):
- new:     not in the manifest; the next build loads it;
- loaded:  in the manifest with the same size and modification time; never loaded again;
- changed: in the manifest, but its size or modification time differ; the next build stops
           and names it (deliver it as a new file, or rebuild with --full-refresh);
- removed: in the manifest, gone from the folder; its rows stay in bronze;
- empty:   0 bytes and not in the manifest: Spark skips it, and so does the plan.
`lakehouse deliveries` lists them; `lakehouse build` plans from them (lakehouse/build_plan.py):
nothing new or changed, and no bronze write since the last complete build, means there is
nothing to build.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from lakehouse.config import Settings
from lakehouse.connection import query_if_exists
from lakehouse.errors import LakehouseError
from lakehouse.landing.contract import KINDS
from lakehouse.landing.files import delivered_files

NEW, LOADED, CHANGED, REMOVED = "new", "loaded", "changed", "removed"
# A file of 0 bytes not loaded: Spark lists and reads nothing of it, so no build loads it
# and none needs to (a header-only file is loaded, and recorded, with 0 rows).
EMPTY = "empty"
# The states that give the next build something to do.
PENDING = (NEW, CHANGED)


@dataclass(frozen=True)
class DeliveryState:
    kind: str  # sales or customers
    file_name: str
    state: str
    size: int | None  # in the landing folder; None once removed
    loaded_at: str | None  # when bronze loaded it; None when not loaded

    def as_dict(self) -> dict:
        return asdict(self)


def manifest_relation(schema_prefix: str = "") -> str:
    return f"{schema_prefix}bronze.landing_files"


def manifest_exists(settings: Settings, schema_prefix: str = "") -> bool:
    """Whether this lakehouse has loaded deliveries before: bronze's manifest exists."""
    found = query_if_exists(settings, f"select 1 from {manifest_relation(schema_prefix)} limit 1")
    return found is not None


def empty_landing_beside_a_loaded_lakehouse(folder: Path) -> LakehouseError:
    state = "does not exist" if not folder.exists() else "holds no delivery"
    return LakehouseError(
        f"The landing folder {folder} {state} (no sales/*.csv, no customers/*.parquet), "
        "and this lakehouse already holds loaded deliveries. Nothing was built or "
        "generated; every loaded row stays in bronze.",
        "Deliver new files into its sales/ and customers/ folders, or point "
        "LAKEHOUSE_LANDING_DIR at the folder that holds them. `lakehouse summary` shows "
        "what the lakehouse holds.",
    )


def loaded_files(settings: Settings, schema_prefix: str = "") -> dict[tuple[str, str], tuple]:
    """The manifest: (kind, file name) -> (size, modification time in ms, loaded at); empty
    before the first build has created it."""
    rows = query_if_exists(
        settings,
        "select file_kind, file_name, file_size, unix_millis(modified_at), "
        f"cast(loaded_at as string) from {manifest_relation(schema_prefix)}",
    )
    if rows is None:
        return {}
    return {(kind, name): (size, modified_ms, loaded_at)
            for kind, name, size, modified_ms, loaded_at in rows}  # fmt: skip


def delivery_states(
    settings: Settings, landing: Path, schema_prefix: str = ""
) -> list[DeliveryState]:
    """Every delivery of the landing folder and every loaded file, each with its state."""
    return states_against(loaded_files(settings, schema_prefix), landing)


def states_against(manifest: dict[tuple[str, str], tuple], landing: Path) -> list[DeliveryState]:
    """The states of the landing folder's files against `manifest` (loaded_files)."""
    manifest = dict(manifest)
    states: list[DeliveryState] = []
    for kind in KINDS:
        for path in delivered_files(landing, kind):
            stat = path.stat()
            # Spark records the modification time in whole milliseconds, truncated.
            on_disk = (stat.st_size, stat.st_mtime_ns // 1_000_000)
            loaded = manifest.pop((kind, path.name), None)
            if loaded is None:
                state, loaded_at = (EMPTY if stat.st_size == 0 else NEW), None
            else:
                state = LOADED if on_disk == tuple(loaded[:2]) else CHANGED
                loaded_at = loaded[2]
            states.append(DeliveryState(kind, path.name, state, stat.st_size, loaded_at))
    for (kind, name), (_size, _modified, loaded_at) in sorted(manifest.items()):
        states.append(DeliveryState(kind, name, REMOVED, None, loaded_at))
    return states


def pending(states: list[DeliveryState]) -> list[DeliveryState]:
    return [state for state in states if state.state in PENDING]
