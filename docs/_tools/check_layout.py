"""Screenshots and a layout check of the built HTML documentation in headless Chromium.

Not part of the test suite (it needs a browser). On a Debian machine::

    apt-get install chromium
    pip install playwright          # the Python driver only; Debian's Chromium is used
    python -m sphinx -W -b html docs /tmp/html
    python docs/_tools/check_layout.py /tmp/html --widths 1280,1440,1920 --shots /tmp/shots

For every page and window width it reports the elements that do not fit the text column
(code blocks that scroll sideways, titles, tables, images) and formulas MathJax left
unrendered, and it saves screenshots of the index, a technique page, the gallery and the
class page. It exits with status 1 if a code block or a title does not fit or a formula
is left unrendered.
"""

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = [
    "index.html",
    "user_guide/dropout.html",
    "auto_examples/index.html",
    "generated/skdeep.RegularizedMLPClassifier.html",
]
# Elements wider than their box (they scroll or are clipped), or reaching past the
# article's right edge; and formulas without a rendered MathJax container.
MEASURE = """() => {
  const article = document.querySelector('.bd-article');
  if (!article) return {overflow: [], raw_math: 0};
  const right = article.getBoundingClientRect().right;
  const overflow = [];
  const selector = '.bd-article pre, .bd-article h1, .bd-article table, .bd-article img';
  for (const e of document.querySelectorAll(selector)) {
    const wider = e.scrollWidth > e.clientWidth + 1;
    const past = e.getBoundingClientRect().right > right + 2;
    if (wider || past) {
      const text = e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60);
      const extra = Math.max(
        e.scrollWidth - e.clientWidth, e.getBoundingClientRect().right - right);
      overflow.push([e.tagName, Math.round(extra), text]);
    }
  }
  const raw_math = [...document.querySelectorAll('.math')]
    .filter(e => !e.querySelector('mjx-container')).length;
  return {overflow, raw_math};
}"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the HTML build folder")
    parser.add_argument("--widths", default="1280,1440,1920")
    parser.add_argument("--shots", type=Path, help="folder for the screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    args.html = args.html.resolve()  # file URIs need absolute paths
    widths = [int(width) for width in args.widths.split(",")]
    pages = [
        page
        for page in sorted(args.html.rglob("*.html"))
        if not {"_sources", "_static", "_images"} & set(page.parts)
        and page.name not in ("genindex.html", "search.html")
    ]
    if args.shots:
        args.shots.mkdir(parents=True, exist_ok=True)
    failed = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        for width in widths:
            tab = browser.new_page(viewport={"width": width, "height": 1100})
            problems = 0
            for page in pages:
                tab.goto(page.as_uri())
                # MathJax typesets after the page has loaded.
                tab.evaluate("() => window.MathJax?.startup?.promise ?? null")
                result = tab.evaluate(MEASURE)
                name = page.relative_to(args.html)
                for tag, extra, text in result["overflow"]:
                    # Tables scroll inside their own container by design.
                    failed |= tag in ("PRE", "H1")
                    print(f"{width}px {name}: {tag} {extra}px too wide: {text}")
                    problems += 1
                if result["raw_math"]:
                    print(f"{width}px {name}: {result['raw_math']} unrendered formulas")
                    problems += 1
                    failed = True
                shot = str(name)
                if args.shots and shot in SHOTS:
                    stem = shot.replace("/", "_").removesuffix(".html")
                    tab.screenshot(path=str(args.shots / f"{stem}_{width}.png"))
            print(f"{width}px: {len(pages)} pages, {problems} problems")
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
