"""Fresh process: fit on a table with a 10,000-level categorical column; print JSON.

``python benchmarks/fresh/categorical.py --model {skdeep_raw,skdeep_one_hot,hgb_ordinal}
[--rows N] [--levels L]``

The data: ``N`` training rows and 20,000 test rows of 5 numeric columns and one string
column ``shop`` with ``L`` levels (drawn with Zipf-like frequencies, so that many levels are
rare), and a regression target: a smooth function of the numbers plus a per-level effect
plus noise. Models, all with their default hyperparameters:

- ``skdeep_raw``: ``RegularizedMLPRegressor`` given the DataFrame itself (the column becomes
  a learned vector per level);
- ``skdeep_one_hot``: the same behind a ``ColumnTransformer`` that one-hot encodes ``shop``
  into a sparse matrix (dense would need ``N x L`` floats) and scales the numbers;
- ``hgb_ordinal``: ``HistGradientBoostingRegressor`` with ``shop`` as ordinal codes (its
  native categorical path takes at most 255 levels).

Reported: fit time, the peak memory the fit added (resident set size high-water mark above
the baseline after the imports, a warm-up fit and the data), and the test R².
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from benchmarks._util import current_rss_mb, peak_rss_mb, reset_peak_rss  # noqa: E402

N_NUMERIC = 5


def table(n_rows, n_levels, seed):
    """The DataFrame and target described in the module docstring."""
    import numpy as np
    import pandas as pd

    effects = np.random.default_rng(777).standard_normal(n_levels)
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_levels + 1) ** 0.7
    level = rng.choice(n_levels, size=n_rows, p=weights / weights.sum())
    X = pd.DataFrame(rng.standard_normal((n_rows, N_NUMERIC)), columns=[f"x{j}" for j in range(5)])
    X["shop"] = np.char.add("shop", level.astype(str)).astype(object)
    y = (
        np.sin(2 * X["x0"]) + X["x1"] * X["x2"] + 0.5 * X["x3"]
        + effects[level] + 0.3 * rng.standard_normal(n_rows)
    ).to_numpy()  # fmt: skip
    return X, y


def make(model):
    """The model called ``model`` (see the module docstring)."""
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numbers = [f"x{j}" for j in range(N_NUMERIC)]
    if model == "hgb_ordinal":
        from sklearn.ensemble import HistGradientBoostingRegressor

        codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        pre = make_column_transformer((codes, ["shop"]), ("passthrough", numbers))
        return make_pipeline(pre, HistGradientBoostingRegressor(random_state=0))
    from skdeep import RegularizedMLPRegressor

    if model == "skdeep_raw":
        return RegularizedMLPRegressor(random_state=0)
    pre = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["shop"]), (StandardScaler(), numbers)
    )
    return make_pipeline(pre, RegularizedMLPRegressor(random_state=0))


def main():
    """Measure one run and print the JSON answer."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["skdeep_raw", "skdeep_one_hot", "hgb_ordinal"])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--levels", type=int, default=10_000)
    args = parser.parse_args()

    X_warm, y_warm = table(500, 50, seed=1)
    make(args.model).set_params(**_few_epochs(args.model)).fit(X_warm, y_warm)
    del X_warm, y_warm

    X, y = table(args.rows, args.levels, seed=0)
    X_test, y_test = table(20_000, args.levels, seed=2)
    baseline = current_rss_mb()
    resettable = reset_peak_rss()
    started = time.perf_counter()
    model = make(args.model).fit(X, y)
    fit_s = time.perf_counter() - started
    peak = peak_rss_mb()
    from sklearn.metrics import r2_score

    print(
        json.dumps(
            {
                "model": args.model,
                "rows": args.rows,
                "levels": args.levels,
                "levels_seen": int(X["shop"].nunique()),
                "fit_s": fit_s,
                "fit_extra_mb": peak - baseline,
                "peak_reset": resettable,
                "test_r2": float(r2_score(y_test, model.predict(X_test))),
            }
        )
    )


def _few_epochs(model):
    if model == "hgb_ordinal":
        return {"histgradientboostingregressor__max_iter": 2}
    if model == "skdeep_raw":
        return {"max_iter": 2}
    return {"regularizedmlpregressor__max_iter": 2}


if __name__ == "__main__":
    main()
