"""What a short last mini-batch costs: the defaults on ``concrete`` by training-row count.

An epoch of ``n`` rows in batches of ``batch_size`` ends with a batch of ``n % batch_size``
rows (scikit-learn's MLP batches the same way). With the defaults (``batch_size="auto"``:
200 rows) a fit on 601 rows takes three full steps and one step on a single row's gradient
in every epoch. This script fits the default regressor on the first ``n`` rows of a fixed
shuffle of one cross-validation fold's training rows of ``concrete`` (the accuracy suite's
table and preprocessing; 3-fold split with seed 0, its third fold held out and scored), for
``n`` around 600 and four seeds, without early stopping (so every fit runs its 64 epochs
on the same rows), with scikit-learn's batching (``even_batches=False``) and with the
defaults' even batches (``even_batches=True``: ``ceil(n / 200)`` batches whose sizes differ
by at most one row), and prints the mean test R² over the seeds of each::

    python -m benchmarks.last_batch
"""

import warnings

import numpy as np

SIZES = (600, 601, 602, 605, 610, 620, 650, 680)
SEEDS = (0, 1, 2, 3)


def main():
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    from benchmarks.tables import BY_LABEL, load_table, preprocessor
    from skdeep import RegularizedMLPRegressor

    X, y, _ = load_table(BY_LABEL["concrete"])
    train, test = list(KFold(3, shuffle=True, random_state=0).split(X))[2]
    pre = preprocessor().fit(X.iloc[train])
    X_train, X_test = pre.transform(X.iloc[train]), pre.transform(X.iloc[test])
    y_train, y_test = y.iloc[train].to_numpy(), y.iloc[test].to_numpy()
    order = np.random.RandomState(5).permutation(len(y_train))
    print("rows  last batch  even_batches=False (per seed: mean)  even_batches=True")
    for n in SIZES:
        rows = order[:n]
        cells = []
        for even in (False, True):
            scores = []
            for seed in SEEDS:
                model = RegularizedMLPRegressor(
                    early_stopping=False, even_batches=even, random_state=seed
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X_train[rows], y_train[rows])
                scores.append(r2_score(y_test, model.predict(X_test)))
            per_seed = " ".join(f"{s:.3f}" for s in scores)
            cells.append(f"{per_seed}: {np.mean(scores):.3f}")
        last = n % 200 or 200
        print(f"{n:4d}  {last:10d}  {cells[0]}  {cells[1]}")


if __name__ == "__main__":
    main()
