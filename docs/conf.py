"""Sphinx configuration of the skdeep documentation.

Build the HTML pages and run every code example with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest

The build needs no network access: intersphinx is deliberately not enabled.
"""

import doctest
import re
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

import skdeep

sys.path.insert(0, str(Path(__file__).parent / "_ext"))
import skdeep_gallery  # noqa: E402

# The examples train small networks, too small for BLAS threads to pay off. On a machine
# whose cores are busy (for example with parallel test workers), OpenBLAS's waiting threads
# made such training several times slower in our measurements, so the build uses one.
threadpool_limits(1, user_api="blas")

# -- Project information ------------------------------------------------------------------

project = "skdeep"
author = "the skdeep developers"
copyright = "the skdeep developers"
version = release = skdeep.__version__

# -- General configuration ----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    # MathJax served from the built site itself: formulas render without the network.
    "sphinx-mathjax-offline",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
    "sphinx_copybutton",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# The page's contents on the right name methods without their class ("fit()", not
# "RegularizedMLPClassifier.fit()"), so the entries fit their column.
toc_object_entries_show_parents = "hide"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"

# -- autodoc / autosummary / numpydoc -----------------------------------------------------

autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "none"
# numpydoc renders the Attributes section itself; listing methods is left to the autosummary
# class template, which avoids duplicated and unresolvable member tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# Methods inherited from scikit-learn (``score``, ``get_params``, metadata-routing setters)
# refer to labels and glossary terms of scikit-learn's own documentation. Without intersphinx
# these cannot resolve, so their text is rendered in italics instead.
_SKLEARN_XREF = re.compile(r":(?:ref|term):`([^`]*?)`")


def _xref_text(match):
    text = match.group(1)
    if text.endswith(">") and "<" in text:
        text = text[: text.rindex("<")].rstrip()
    return f"*{text}*"


def _fix_docstring(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    joined = "\n".join(lines)
    new = _SKLEARN_XREF.sub(_xref_text, joined)
    if new != joined:
        lines[:] = new.split("\n")


def setup(app):
    app.connect("autodoc-process-docstring", _fix_docstring)


# -- doctest ------------------------------------------------------------------------------

# Doctest blocks (">>>") in the pages and in the rendered docstrings are all run by
# ``python -m sphinx -b doctest``. The examples keep ``max_iter`` small so that they are fast;
# scikit-learn's ConvergenceWarning is expected then and would only clutter the output.
doctest_global_setup = """
import matplotlib
matplotlib.use("Agg")
import warnings
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
"""
doctest_default_flags = (
    doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
)

# -- plots --------------------------------------------------------------------------------

# ``.. plot::`` runs its code at build time with matplotlib's headless Agg backend and puts
# the figure below the code. The images go to the build folder (next to the doctrees), not
# into docs/. The examples are kept fast; a failing one is a build warning, so -W catches it.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 150)]
plot_rcparams = {"figure.dpi": 150, "savefig.dpi": 150}
plot_pre_code = """
import warnings
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
"""

# -- example gallery ----------------------------------------------------------------------

# Each examples/*/plot_*.py runs at build time; its printed numbers and figures appear on its
# page. ``-D plot_gallery=0`` skips running them (the test's doctest build does: the HTML
# build has already run them).


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # A name, not the function: Sphinx caches only picklable settings.
    "reset_modules": ("skdeep_gallery.reset_matplotlib",),
    "reset_modules_order": "before",
    "download_all_examples": False,
    "remove_config_comments": True,
    # Sections and examples in reading order (docs/_ext/skdeep_gallery.py).
    "subsection_order": [f"../examples/{name}" for name in skdeep_gallery.SECTIONS],
    "within_subsection_order": "skdeep_gallery.ExampleOrder",
    "min_reported_time": 1,
    # Each API page ends with the examples that use it (scikit-learn's "Examples using").
    "doc_module": ("skdeep",),
    "backreferences_dir": "generated/backreferences",
}

# -- copy button --------------------------------------------------------------------------

# Copied code leaves out the prompts (">>> ", "... ", "$ ") and the output lines.
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = True

# -- HTML output --------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdeep {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # Four top-level links and "More": the search field stays on the header's line down to
    # 1280 pixels.
    "header_links_before_dropdown": 4,
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["skdeep.css"]
# Pages without sub-pages would show an empty navigation column: they use the width instead.
html_sidebars = {
    page: []
    for page in (
        "getting_started",
        "demo",
        "command_line",
        "coming_from_sklearn",
        "changes",
        "architecture",
    )
}
