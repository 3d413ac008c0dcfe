"""The documentation: links and images exist, and getting-started.md runs as written.

``test_getting_started_runs`` copies the tracked files of the repository
(``git ls-files``) into a temporary folder and runs every ``bash`` block of
docs/getting-started.md there, in order, in one bash process, with
``set -euo pipefail``. Blocks preceded by ``<!-- docs-test: skip (REASON) -->``
are left out; the page uses the marker for the blocks that build the
environment and run the test suite. The interpreter running pytest puts its
bin folder first on PATH, so ``vle`` and ``python`` resolve to this
environment.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "getting-started.md"
SKIP = re.compile(r"^<!--\s*docs-test:\s*skip\s*\(([^)]+)\)\s*-->$")
# Files the page promises, relative to the repository root.
PROMISED = ("single.npz", "lagnet_spice.npz", "lagnet.cir", "chain_trained.toml",
            "report/index.html", "report/metrics.json", "small_trained.toml",
            "mnist-report/index.html")


def bash_blocks(text):
    """Return (code, skip reason or None) for every ```bash block of ``text``."""
    blocks, lines = [], text.splitlines()
    index, reason = 0, None
    while index < len(lines):
        line = lines[index].strip()
        match = SKIP.match(line)
        if match:
            reason = match.group(1)
        elif line == "```bash":
            end = lines.index("```", index + 1)
            blocks.append(("\n".join(lines[index + 1:end]), reason))
            index, reason = end, None
        elif line:
            reason = None  # a marker applies only to the block right after it
        index += 1
    return blocks


def test_page_blocks_parsed():
    blocks = bash_blocks(PAGE.read_text(encoding="utf-8"))
    skipped = [code for code, reason in blocks if reason]
    run = [code for code, reason in blocks if not reason]
    assert len(run) >= 6
    # Only the blocks that build the environment or run the suite may be skipped.
    for code in skipped:
        for command in filter(None, code.splitlines()):
            assert command.split()[0] in ("make", "source", "bash"), command


def test_skip_marker_only_next_block():
    text = ("<!-- docs-test: skip (runs the test suite itself) -->\n```bash\nmake test\n```\n"
            "text\n```bash\nvle --version\n```\n")
    assert bash_blocks(text) == [("make test", "runs the test suite itself"),
                                 ("vle --version", None)]


def test_docs_links_check():
    completed = subprocess.run([sys.executable, str(ROOT / "docs" / "build.py"), "--check"],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


def test_docs_check_finds_broken_link(tmp_path):
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT / "docs"))
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [gone](missing.md) ![img](figures/none.png)\n"
                    "[anchor](page.md#title) [bad anchor](page.md#nothing)\n"
                    "# Title\n```\n[in code](nowhere.md)\n```\n", encoding="utf-8")
    problems = build.check_links([page])
    assert len(problems) == 3, problems
    assert "missing.md" in problems[0]
    assert "figures/none.png" in problems[1]
    assert "#nothing" in problems[2]


def copy_tracked_files(destination):
    """Copy the files that git tracks (as they are in the working tree) into ``destination``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


@pytest.mark.slow
@pytest.mark.brian2
@pytest.mark.ngspice
def test_getting_started_runs(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know the tracked files")
    copy = tmp_path / "vle"
    copy_tracked_files(copy)
    blocks = bash_blocks(PAGE.read_text(encoding="utf-8"))
    script = ["set -euo pipefail"]
    for number, (code, reason) in enumerate(blocks, start=1):
        if reason is None:
            script += [f"echo '=== block {number}' >&2", code]
    environment = dict(os.environ, MPLBACKEND="Agg")
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    completed = subprocess.run(["bash", "-c", "\n".join(script)], cwd=copy,
                               env=environment, capture_output=True, text=True,
                               timeout=900)
    # The last "=== block N" line on stderr names the block that failed.
    assert completed.returncode == 0, completed.stderr[-3000:]
    for name in PROMISED:
        assert (copy / name).is_file(), f"{name} missing after running the page"
    assert "PASS" in completed.stdout
