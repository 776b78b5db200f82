"""The documentation builds without warnings and every example in it runs."""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
# The widest code line the text column shows without horizontal scrolling (see
# docs/_static/skdeep.css).
CODE_WIDTH = 79
CODE_BLOCK = re.compile(
    r'<div class="(?:[^"]*\s)?highlight-(?:python|default|pycon|Python)\b[^"]*"[^>]*>'
    r'<div class="highlight"><pre>(.*?)</pre>',
    re.S,
)


def wide_code_lines(html_dir):
    """The number of code lines on the built pages, and those wider than ``CODE_WIDTH``.

    In a doctest block only the statements count (``>>> `` and ``... `` lines): the
    printed output is what the code prints. Output blocks (text, console) wrap in the
    browser and are not checked.
    """
    checked, wide = 0, []
    for page in sorted(Path(html_dir).rglob("*.html")):
        if "_sources" in page.parts:
            continue
        for block in CODE_BLOCK.findall(page.read_text(encoding="utf-8")):
            lines = html.unescape(re.sub(r"<[^>]+>", "", block)).splitlines()
            doctest = any(line.startswith(">>> ") for line in lines)
            for line in lines:
                if doctest and not line.startswith((">>> ", "... ")):
                    continue
                checked += 1
                if len(line) > CODE_WIDTH:
                    wide.append(f"{page.relative_to(html_dir)}: {line}")
    return checked, wide


def test_wide_code_lines_are_found(tmp_path):
    statement = "x = " + "1 + " * 20 + "1"
    (tmp_path / "page.html").write_text(
        '<div class="doctest highlight-default notranslate"><div class="highlight"><pre>'
        f'<span class="gp">&gt;&gt;&gt; </span>{statement}\n'
        f'<span class="go">{"9" * 100}</span>\n</pre></div></div>'
        '<div class="highlight-Python notranslate"><div class="highlight"><pre>'
        f"short = 1\n{statement}\n</pre></div></div>"
        '<div class="highlight-text notranslate"><div class="highlight"><pre>'
        f"{'printed ' * 20}\n</pre></div></div>",
        encoding="utf-8",
    )
    checked, wide = wide_code_lines(tmp_path)
    # The doctest's statement and both lines of the script; not the output lines.
    assert checked == 3
    assert wide == [f"page.html: >>> {statement}", f"page.html: {statement}"]


@pytest.mark.slow  # about 100 s: two full Sphinx builds, every example run
def test_docs_build_cleanly_and_examples_run(tmp_path):
    # One test runs both builders in turn: autosummary writes its stubs into docs/, so two
    # builds at once (in parallel test workers) would race on those files.
    # The HTML build runs the gallery's examples; the doctest build need not run them again.
    for builder, options in (("html", []), ("doctest", ["-D", "plot_gallery=0"])):
        result = subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder,
             *options, "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / builder)],
            capture_output=True,
            text=True,
            timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    checked, wide = wide_code_lines(tmp_path / "html")
    assert checked > 1000, "the code blocks of the built pages were not found"
    assert not wide, f"{len(wide)} code lines wider than {CODE_WIDTH}:\n" + "\n".join(wide)
    # Formulas render without the network: MathJax is served from the site itself.
    index = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    assert "_static/mathjax/" in index and "cdn.jsdelivr" not in index
