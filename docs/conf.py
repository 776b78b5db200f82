"""Sphinx configuration of the skdeep documentation.

Build the HTML pages and run every code example with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest

The build needs no network access: intersphinx is deliberately not enabled.
"""

import doctest
import re

from threadpoolctl import threadpool_limits

import skdeep

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
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
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
plot_formats = [("png", 100)]
plot_pre_code = """
import warnings
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
"""

# -- HTML output --------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skdeep {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_show_sourcelink = False
