"""Build the documentation: render the schematics and check every link.

Usage::

    python docs/build.py           # render docs/figures/*.png, then check links
    python docs/build.py --check   # only check links and images (renders nothing)

The check reads ``README.md`` and ``docs/*.md`` and fails (exit code 1) when
a relative link or image points to a file that does not exist, or when a
link's ``#anchor`` names no heading of the Markdown file it points to.
Links inside fenced code blocks and inline code are ignored, as are links
with a scheme (``https:``, ``mailto:``).
"""

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
FIGURES = DOCS / "figures"

# [text](target) and ![alt](target), with an optional "title"; <img src="...">.
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE_TAG = re.compile(r"<img\s[^>]*src=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`[^`]*`")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def render_figures(folder=FIGURES):
    """Render every schematic of ``docs/schematics.py`` as a PNG into ``folder``.

    Each file is written to a temporary name in ``folder`` and moved into
    place when complete. Returns the list of written paths.
    """
    import matplotlib

    matplotlib.use("Agg")
    sys.path.insert(0, str(DOCS))
    import schematics

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in schematics.FIGURES.items():
        drawing = draw()
        handle, temporary = tempfile.mkstemp(suffix=".png", dir=folder)
        os.close(handle)
        try:
            drawing.save(temporary, dpi=110)
            os.chmod(temporary, 0o644)
            os.replace(temporary, folder / name)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        written.append(folder / name)
    return written


def markdown_files(root=ROOT):
    """README.md and every docs/*.md below ``root``."""
    files = [root / "README.md"] if (root / "README.md").exists() else []
    return files + sorted((root / "docs").glob("*.md"))


def prose_lines(text):
    """Yield (line number, line) outside fenced code blocks, inline code removed."""
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, INLINE_CODE.sub("", line)


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"`|\*|_(?=\W)|(?<=\W)_", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """Anchors of every heading in a Markdown file (duplicates get -1, -2, ...)."""
    seen, result = {}, set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


def check_links(files):
    """Return one message per broken relative link or image in ``files``."""
    problems = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for number, line in prose_lines(text):
            targets = LINK.findall(line) + IMAGE_TAG.findall(line)
            for target in targets:
                problem = _check_target(path, target)
                if problem:
                    problems.append(f"{_shown(path)}:{number}: {problem}")
    return problems


def _shown(path):
    """``path`` relative to the repository root when it lies inside it."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _check_target(path, target):
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        return None
    file_part, _, anchor = target.partition("#")
    destination = (path.parent / file_part).resolve() if file_part else path
    if not destination.exists():
        return f"link target '{target}' not found"
    if anchor and destination.suffix == ".md" and anchor not in anchors(destination):
        return f"anchor '#{anchor}' not found in {destination.name}"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only check links and images; render no figures")
    args = parser.parse_args(argv)
    if not args.check:
        for path in render_figures():
            print(f"rendered {path.relative_to(ROOT)}")
    files = markdown_files()
    problems = check_links(files)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} broken link(s) in {len(files)} files", file=sys.stderr)
        return 1
    print(f"links ok in {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
