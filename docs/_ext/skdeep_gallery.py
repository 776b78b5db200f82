"""Settings the example gallery applies before each example runs (named in ``conf.py``)."""


def reset_matplotlib(gallery_conf, fname):
    """matplotlib's defaults, with figures at 150 dpi so that their text stays sharp."""
    import matplotlib

    matplotlib.rcdefaults()
    matplotlib.rcParams.update({"figure.dpi": 150, "savefig.dpi": 150})


# The gallery's sections, and the examples in each, in reading order.
SECTIONS = ["regularization", "training", "workflow"]
EXAMPLE_ORDER = [
    "plot_weight_decay_and_l2.py",
    "plot_l1_sparsity.py",
    "plot_dropout.py",
    "plot_early_stopping.py",
    "plot_batch_normalization.py",
    "plot_learning_rate_schedules.py",
    "plot_initialization_and_activations.py",
    "plot_training_history.py",
    "plot_defaults_vs_peers.py",
    "plot_recipe_parts.py",
    "plot_dataframe.py",
    "plot_prediction_intervals.py",
    "plot_coarse_to_fine_search.py",
    "plot_dask_search.py",
]


class ExampleOrder:
    """Sort key of the examples within a section: their place in ``EXAMPLE_ORDER``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        # A new example not yet listed goes last, in file-name order.
        if filename in EXAMPLE_ORDER:
            return (EXAMPLE_ORDER.index(filename), filename)
        return (len(EXAMPLE_ORDER), filename)

    def __repr__(self):
        # Sphinx compares the configuration between builds by its text: a fixed repr keeps
        # an unchanged gallery from being rebuilt every time.
        return "ExampleOrder"
