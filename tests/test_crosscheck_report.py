"""The cross-check report opens in headless Chromium, and every image it references exists."""

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from conftest import EXAMPLES
from vle.cli import main

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0"]
# Console messages that Chromium logs with --enable-logging, e.g.
# [..:INFO:CONSOLE:11] "image failed to load: file:///...", source: ...
CONSOLE_LINE = re.compile(r":CONSOLE(?::|\()")


class ImageSources(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.sources.append(dict(attrs)["src"])


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    code = main(["crosscheck", str(EXAMPLES / "chain.toml"), "--backends", "reference",
                 "--duration", "12", "--report", str(folder), "--quiet"])
    assert code == 0
    return folder


def image_sources(page):
    parser = ImageSources()
    parser.feed(page)
    return parser.sources


def test_images_exist(report):
    sources = image_sources((report / "index.html").read_text())
    # Traces and errors for each of the two neuron populations.
    assert sorted(sources) == ["errors_n1.png", "errors_n2.png", "traces_n1.png",
                               "traces_n2.png"]
    for source in sources:
        assert (report / source).is_file(), source
        assert (report / source).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(report.glob("*.part"))


def run_chromium(page, profile):
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed; scripts/setup.sh installs it with apt-get")
    command = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
               page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                            stdin=subprocess.DEVNULL)
    console = [line for line in result.stderr.splitlines() if CONSOLE_LINE.search(line)]
    return result, console


def test_opens_in_chromium(report, tmp_path):
    result, console = run_chromium(report / "index.html", tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console == []
    assert "Cross-check of chain" in result.stdout
    assert len(image_sources(result.stdout)) == 4


def test_chromium_sees_missing_image(report, tmp_path):
    # The check above can fail: remove one image from a copy of the report.
    broken = tmp_path / "broken"
    shutil.copytree(report, broken)
    (broken / "errors_n2.png").unlink()
    result, console = run_chromium(broken / "index.html", tmp_path / "profile")
    assert result.returncode == 0
    assert any("image failed to load" in line and "errors_n2.png" in line
               for line in console)
