"""Whether bronze may be rebuilt from the landing folder.

Bronze is the record of every delivery loaded (the system of record): `--full-refresh`
rebuilds silver and gold from it and never reads the landing folder again for a loaded file.
Rebuilding bronze itself (`lakehouse build --rebuild-bronze`) reads every delivery again from
the landing folder, so it would drop the rows of a loaded file that is gone and replace those
of one changed in place. It refuses while any such file exists, unless each is named with
--forget, which says its loaded rows may go.
"""

from __future__ import annotations

from lakehouse.errors import LakehouseError
from lakehouse.landing.states import CHANGED, REMOVED, DeliveryState


def file_label(state: DeliveryState) -> str:
    """How a delivery is named on the command line and in messages: `sales/x.csv`."""
    return f"{state.kind}/{state.file_name}"


def _what_happened(state: DeliveryState) -> str:
    where = "gone from the landing folder" if state.state == REMOVED else "changed in place"
    return f"{where} (loaded {state.loaded_at})"


def check_bronze_rebuild(states: list[DeliveryState], forget: list[str]) -> None:
    """Raise unless every loaded file is in the landing folder as it was loaded, or named in
    `forget` (as kind/name). A name in `forget` that is neither removed nor changed is an
    error too: forgetting a file whose rows can be read again is never needed."""
    at_risk = {file_label(s): s for s in states if s.state in (REMOVED, CHANGED)}
    unknown = sorted(set(forget) - set(at_risk))
    if unknown:
        raise LakehouseError(
            f"--forget names {', '.join(unknown)}, which is not a loaded file that is missing "
            "or changed in the landing folder.",
            "Name files as kind/name, e.g. --forget 'sales/sales 2023-03-02.csv'; "
            "`lakehouse deliveries` lists each file's state.",
        )
    blocking = [state for label, state in sorted(at_risk.items()) if label not in forget]
    if blocking:
        lines = "\n".join(f"  {file_label(s)}: {_what_happened(s)}" for s in blocking)
        raise LakehouseError(
            "Rebuilding bronze reads every delivery again from the landing folder, and these "
            f"loaded files are not there as they were loaded:\n{lines}\n"
            "Their rows would be lost or replaced. Nothing was changed.",
            "Put each file back as it was loaded, or, to drop its loaded rows from the "
            "lakehouse, name it: --forget KIND/NAME (once per file). To rebuild silver and "
            "gold from bronze instead, use --full-refresh, which keeps every loaded row.",
        )
