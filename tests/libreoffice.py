"""LibreOffice headless, for tests and the fixture generator: recalculate and convert workbooks.

One ``soffice`` start converts many files. The user profile is a fresh
temporary one that tells Calc to recalculate every formula on load (a
workbook's stored values are otherwise trusted), so a converted file holds
the values LibreOffice computed itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """The soffice program; under CI=true its absence fails the test, elsewhere it skips it."""
    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        if os.environ.get("CI") == "true":
            pytest.fail("LibreOffice (soffice) is missing on CI: `make setup` installs libreoffice-calc")
        pytest.skip("LibreOffice is not installed (`make setup` installs it)")
    return program


def convert(files: list[Path], to: str, outdir: Path, program: str | None = None) -> list[Path]:
    """Recalculate ``files`` and save them as ``to`` ("xlsx" or "ods") in ``outdir``, in one soffice run."""
    program = program or soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        (Path(profile) / "user").mkdir()
        (Path(profile) / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ON_LOAD)
        command = [program, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", to]
        run = subprocess.run(
            [*command, "--outdir", str(outdir), *map(str, files)], check=True, capture_output=True, timeout=300
        )
    converted = [outdir / f"{f.stem}.{to}" for f in files]
    missing = [p.name for p in converted if not p.is_file()]
    if missing:  # soffice exits 0 having converted nothing, e.g. when installed without Calc
        said = " ".join((run.stdout + run.stderr).decode(errors="replace").split())
        raise RuntimeError(
            f"LibreOffice did not write {', '.join(missing)}: is LibreOffice Calc installed "
            f"(`make setup` installs libreoffice-calc)? soffice said: {said or 'nothing'}"
        )
    return converted
