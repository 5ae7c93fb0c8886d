"""The report screenshots the README and docs/studies.md show (docs/report-quick-1400.png and -420.png), retaken with
headless Chromium (Debian's chromium) from a finished quick study:

    python benchmarks/quick_study.py --keep runs/quick     # or: ganclf study --preset quick --out runs/quick
    python benchmarks/screenshots.py runs/quick
"""
import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
WIDTHS, HEIGHT = (1400, 420), 2600  # a wide screen and a phone; the first screens of the report


def screenshot(report: Path, width: int, target: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", f"--window-size={width},{HEIGHT}",
                        f"--screenshot={target}", report.resolve().as_uri()], capture_output=True, timeout=120,
                       check=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("study", type=Path, help="a finished quick study's folder")
    args = parser.parse_args()
    report = args.study / "report.html"
    if not report.exists():
        raise SystemExit(f"screenshots: error: no report at {report}; run the quick study into {args.study} first")
    if shutil.which("chromium") is None:
        raise SystemExit("screenshots: error: needs Debian's chromium (apt-get install chromium)")
    for width in WIDTHS:
        target = DOCS / f"report-quick-{width}.png"
        screenshot(report, width, target)
        print("written", target)


if __name__ == "__main__":
    main()
