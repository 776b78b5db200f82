"""Settings the example gallery applies before each example runs (named in ``conf.py``)."""


def reset_matplotlib(gallery_conf, fname):
    """matplotlib's defaults, with figures at 150 dpi so that their text stays sharp."""
    import matplotlib

    matplotlib.rcdefaults()
    matplotlib.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150})
