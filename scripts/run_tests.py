"""Run every nox session, then print one closing line totalling all of them.

nox's own summary lists sessions, not tests; CI reads the last line ("N passed, N failed").
Exit status is nox's: any failing session (including pytest's exit 5, no tests collected) fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "build" / "test-reports"


def main() -> int:
    shutil.rmtree(REPORTS, ignore_errors=True)
    nox = [sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), *sys.argv[1:]]
    status = subprocess.call(nox, cwd=ROOT)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in sorted(REPORTS.glob("*.xml")):
        for suite in ET.parse(report).getroot().iter("testsuite"):
            for key in totals:
                totals[key] += int(suite.get(key, 0))
    failed = totals["failures"] + totals["errors"]
    passed = totals["tests"] - failed - totals["skipped"]
    if totals["tests"] == 0:
        print("tests: no test ran", file=sys.stderr)
        return status or 5
    print(f"tests: {passed} passed, {failed} failed, {totals['skipped']} skipped")
    return status


if __name__ == "__main__":
    sys.exit(main())
