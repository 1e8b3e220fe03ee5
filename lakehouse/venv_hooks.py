"""Make plain `dbt` work in an activated `.venv`: activation points DBT_PROFILES_DIR at the
project's `profiles/` folder, and `deactivate` puts back what was there before.

`make setup` runs `python -m lakehouse.venv_hooks .venv` after creating the venv. It edits the
activation scripts of bash/zsh (`activate`), fish (`activate.fish`) and csh/tcsh
(`activate.csh`) in place and is idempotent: running it again replaces its own lines, never
adds a second copy.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from lakehouse.config import PROJECT_DIR

BEGIN = "# >>> retail-lakehouse: dbt reads this project's profiles/ (added by make setup)"
END = "# <<< retail-lakehouse"
SET_FLAG = "_LAKEHOUSE_DBT_PROFILES_DIR_SET"
OLD_VALUE = "_LAKEHOUSE_OLD_DBT_PROFILES_DIR"

# bash and zsh: run first in `deactivate`, which activation itself also calls.
_SH_RESTORE = f"""    {BEGIN}
    if [ -n "${{{SET_FLAG}:-}}" ] ; then
        if [ -n "${{{OLD_VALUE}+x}}" ] ; then
            export DBT_PROFILES_DIR="${OLD_VALUE}"
            unset {OLD_VALUE}
        else
            unset DBT_PROFILES_DIR
        fi
        unset {SET_FLAG}
    fi
    {END}
"""
_SH_SET = f"""{BEGIN}
if [ -n "${{DBT_PROFILES_DIR+x}}" ] ; then
    {OLD_VALUE}="$DBT_PROFILES_DIR"
fi
{SET_FLAG}=1
export DBT_PROFILES_DIR={{profiles}}
{END}
"""
_FISH_RESTORE = f"""    {BEGIN}
    if set -q {SET_FLAG}
        if set -q {OLD_VALUE}
            set -gx DBT_PROFILES_DIR ${OLD_VALUE}
            set -e {OLD_VALUE}
        else
            set -e DBT_PROFILES_DIR
        end
        set -e {SET_FLAG}
    end
    {END}
"""
_FISH_SET = f"""{BEGIN}
if set -q DBT_PROFILES_DIR
    set -g {OLD_VALUE} $DBT_PROFILES_DIR
end
set -g {SET_FLAG} 1
set -gx DBT_PROFILES_DIR {{profiles}}
{END}
"""
# csh's deactivate is a one-line alias in single quotes: the same steps, on one line.
_CSH_RESTORE = (
    f"test $?{SET_FLAG} != 0 && unsetenv DBT_PROFILES_DIR && unset {SET_FLAG}; "
    f'test $?{OLD_VALUE} != 0 && setenv DBT_PROFILES_DIR "${OLD_VALUE}" && unset {OLD_VALUE}; '
)
_CSH_SET = f"""{BEGIN}
if ($?DBT_PROFILES_DIR) then
    set {OLD_VALUE}="$DBT_PROFILES_DIR"
endif
set {SET_FLAG}=1
setenv DBT_PROFILES_DIR {{profiles}}
{END}
"""

# script name -> (the line that opens deactivate, what goes right after it, what is appended)
SCRIPTS = {
    "activate": ("deactivate () {\n", _SH_RESTORE, _SH_SET),
    "activate.fish": (None, _FISH_RESTORE, _FISH_SET),
    "activate.csh": ("alias deactivate '", _CSH_RESTORE, _CSH_SET),
}


def _without_hook(text: str) -> str:
    """The script with every block and fragment this module added taken out."""
    text = text.replace(_CSH_RESTORE, "")
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.strip() == BEGIN:
            inside = True
        elif inside and line.strip() == END:
            inside = False
        elif not inside:
            kept.append(line)
    return "".join(kept)


def hooked(name: str, text: str, profiles_dir: Path) -> str:
    """The activation script `name` with the hook in it (replacing an earlier one)."""
    opener, restore, setter = SCRIPTS[name]
    text = _without_hook(text)
    if opener is None:  # fish: `function deactivate  -d "..."` on a line of its own
        opener = next(
            (
                line
                for line in text.splitlines(keepends=True)
                if line.startswith("function deactivate")
            ),
            None,
        )
    if opener is None or text.count(opener) != 1:
        raise SystemExit(f"{name}: cannot find its deactivate function to extend.")
    text = text.replace(opener, opener + restore, 1).rstrip("\n") + "\n"
    return text + "\n" + setter.replace("{profiles}", shlex.quote(str(profiles_dir)))


def install(venv: Path, profiles_dir: Path = PROJECT_DIR / "profiles") -> list[Path]:
    """Add the hook to every activation script the venv has; returns the scripts changed."""
    changed = []
    for name in SCRIPTS:
        script = venv / "bin" / name
        if not script.is_file():
            continue
        before = script.read_text()
        after = hooked(name, before, profiles_dir.resolve())
        if after != before:
            script.write_text(after)
            changed.append(script)
    return changed


def main(argv: list[str]) -> int:
    venv = Path(argv[0] if argv else PROJECT_DIR / ".venv")
    if not (venv / "bin" / "activate").is_file():
        print(f"{venv} is not a virtual environment (no bin/activate).", file=sys.stderr)
        return 1
    install(venv)
    print(f"Activating {venv} sets DBT_PROFILES_DIR={PROJECT_DIR / 'profiles'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
