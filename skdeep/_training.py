"""The Python side of training: per-epoch decisions around the compiled epoch kernel.

The kernel runs every mini-batch of an epoch; this loop decides, once per epoch, about the
learning rate, convergence, early stopping, divergence and progress output.
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._kernels._epoch import run_epoch

# scikit-learn's "adaptive" schedule stops once the rate falls below this.
_MIN_ADAPTIVE_LR = 1e-6


class KernelState:
    """Arrays the epoch kernel updates in place, kept between ``partial_fit`` calls.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Flat parameters.
    bn_state : ndarray of shape (n_bn_state,)
        Batch-norm running statistics.
    seed : int
        Seed of the kernel's random generator (shuffling, dropout).
    """

    def __init__(self, theta, bn_state, seed):
        self.theta = theta
        self.bn_state = bn_state
        self.grad = np.zeros_like(theta)
        self.state1 = np.zeros_like(theta)
        self.state2 = np.zeros_like(theta)
        self.step = np.zeros(1, dtype=np.int64)
        self.rng = np.array([seed], dtype=np.uint64)


def run_training(est, state, X, Y, sw, settings, validation, incremental):
    """Train ``est`` for up to ``est.max_iter`` epochs (one epoch when ``incremental``).

    Parameters
    ----------
    est : _BaseRegularizedMLP
        The estimator; its history attributes (``loss_curve_``, ``validation_scores_``,
        ``best_loss_``, ``best_validation_score_``, ``n_iter_``, ``t_``) are updated.
    state : KernelState
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sw : ndarray of shape (n_samples,)
    settings : dict
        Keyword arguments of the epoch kernel other than the arrays and ``lr``.
    validation : callable or None
        ``validation(theta, bn_state) -> float`` scores the held-out set (higher is better);
        None when early stopping is off.
    incremental : bool
        ``partial_fit``: a single epoch, no convergence or early-stopping decisions.
    """
    n_samples = X.shape[0]
    max_epochs = 1 if incremental else est.max_iter
    best_theta = None
    # Weights with the lowest finite training objective so far: what divergence falls back to.
    fallback = (state.theta.copy(), state.bn_state.copy(), np.inf)
    for _ in range(max_epochs):
        started = time.perf_counter()
        loss = run_epoch(
            X,
            Y,
            sw,
            state.theta,
            state.grad,
            state.state1,
            state.state2,
            state.bn_state,
            step=state.step,
            rng=state.rng,
            lr=est._learning_rate,
            **settings,
        )
        if not (np.isfinite(loss) and np.isfinite(state.theta).all()):
            state.theta[:] = fallback[0]
            state.bn_state[:] = fallback[1]
            warnings.warn(
                f"Training diverged in epoch {est.n_iter_ + 1}: the loss became {loss}. The "
                f"learning rate ({est._learning_rate:g}) is probably too high for this data; "
                "lower learning_rate_init or standardize the features (StandardScaler). "
                "The weights with the lowest training loss so far were kept.",
                ConvergenceWarning,
                stacklevel=4,
            )
            break
        if loss < fallback[2]:
            fallback = (state.theta.copy(), state.bn_state.copy(), loss)
        est.n_iter_ += 1
        est.t_ += n_samples
        est.loss_curve_.append(float(loss))
        if validation is not None:
            score = validation(state.theta, state.bn_state)
            est.validation_scores_.append(score)
        if est.verbose:
            line = f"Iteration {est.n_iter_}, loss = {loss:.8f}"
            if validation is not None:
                line += f", validation score = {score:.6f}"
            print(f"{line} ({time.perf_counter() - started:.3f}s)")
        if est.learning_rate == "invscaling":
            est._learning_rate = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if incremental:
            break
        if validation is not None:
            improved = score >= est.best_validation_score_ + est.tol
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                best_theta = (state.theta.copy(), state.bn_state.copy())
        else:
            improved = loss <= est.best_loss_ - est.tol
            est.best_loss_ = min(est.best_loss_, float(loss))
        est._no_improvement_count = 0 if improved else est._no_improvement_count + 1
        if est._no_improvement_count > est.n_iter_no_change:
            if est.learning_rate == "adaptive" and est._learning_rate > _MIN_ADAPTIVE_LR:
                est._learning_rate /= 5.0
                est._no_improvement_count = 0
                if est.verbose:
                    print(f"Setting learning rate to {est._learning_rate:f}")
                continue
            if est.verbose:
                what = "Validation score" if validation is not None else "Training loss"
                print(
                    f"{what} did not improve more than tol={est.tol:f} for "
                    f"{est.n_iter_no_change} consecutive epochs. Stopping."
                )
            break
    else:
        if not incremental:
            warnings.warn(
                f"Stochastic optimizer: maximum iterations ({est.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
    if best_theta is not None:
        state.theta[:] = best_theta[0]
        state.bn_state[:] = best_theta[1]
