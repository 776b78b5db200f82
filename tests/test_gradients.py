"""Finite-difference checks of the kernel gradient ``loss_and_grad`` (float64).

Every parameter of a small network (5 features, hidden layers (4, 3), 7 rows, non-uniform sample
weights) is perturbed by +-h and the central difference of the objective is compared with the
kernel's gradient through the normwise relative error ``||g_fd - g|| / (||g_fd|| + ||g||)``.
With h = 1e-6 the truncation error is O(h**2) and the rounding error O(1e-16 / h), both far below
the 1e-6 tolerance of smooth activations. ReLU and leaky ReLU have a kink at 0: a perturbation
that moves a pre-activation across it breaks the difference quotient, hence the looser 1e-4.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from skdeep import _network
from skdeep._kernels import _epoch, _rng
from skdeep._network import NetworkLayout

H = 1e-6
TOL_SMOOTH = 1e-6
TOL_KINK = 1e-4
ACTIVATIONS = (
    "identity", "relu", "leaky_relu", "elu", "tanh", "logistic", "selu", "mish", "gelu", "silu",
)  # fmt: skip
# ReLU, leaky ReLU and SELU have a kink at 0 (SELU's slope jumps from 1.76 to 1.05).
KINKED = {"relu", "leaky_relu", "selu"}
# name -> (loss code, number of outputs[, the loss's parameters])
LOSS_CASES = {
    "squared_error_multioutput": (_network.SQUARED_ERROR, 2),
    "softmax_3_classes": (_network.SOFTMAX_CROSS_ENTROPY, 3),
    "sigmoid_binary": (_network.SIGMOID_CROSS_ENTROPY, 1),
    "sigmoid_multilabel": (_network.SIGMOID_CROSS_ENTROPY, 3),
    "poisson_multioutput": (_network.POISSON, 2),
    # Huber's threshold among the residuals, so both of its pieces are checked.
    "huber_multioutput": (_network.HUBER, 2, [0.3]),
    # The absolute error and the pinball loss have a kink at a zero residual: the random
    # targets keep every residual far from it, where the gradient is the derivative.
    "absolute_error_multioutput": (_network.ABSOLUTE_ERROR, 2),
    "quantile_three_levels": (_network.QUANTILE, 3, [0.1, 0.5, 0.9]),
}
REAL_TARGETS = (_network.SQUARED_ERROR, _network.HUBER, _network.ABSOLUTE_ERROR, _network.QUANTILE)
PENALTIES = {"none": (0.0, 0.0), "l2": (2.0, 0.0), "l1": (0.0, 0.5), "elasticnet": (1.0, 0.3)}


class Problem:
    """A small network, a batch, and the fixed settings of one gradient check.

    Parameters
    ----------
    activation : str
    loss_case : str
        Key of ``LOSS_CASES``.
    hidden : tuple of int
    batch_norm : bool
    dropout : bool
        Input rate 0.2 and hidden rates 0.3, 0.25, ...; the mask is fixed by giving every
        evaluation a fresh copy of the same generator state.
    penalty : str
        Key of ``PENALTIES``.
    seed : int
    n_rows, n_features : int
    embeddings, scaling, parametric, categories : bool
        Periodic numeric embeddings (3 frequencies, 2 values, for features 4, 0 and 2), a
        scaling layer, parametric activations, and two categorical features (3 and 4 levels,
        vectors of 2 values) in two more columns after the ``n_features`` values.
    members : int
        Members of a shared-weight ensemble, with ``member_adapters`` ("all" or "mini").
    """

    def __init__(
        self,
        activation,
        loss_case,
        hidden=(4, 3),
        batch_norm=False,
        dropout=False,
        penalty="none",
        seed=0,
        n_rows=7,
        n_features=5,
        embeddings=False,
        scaling=False,
        parametric=False,
        categories=False,
        members=1,
        member_adapters="all",
    ):
        code, n_outputs, *parameters = LOSS_CASES[loss_case]
        self.loss_kind = code
        self.loss = code, np.asarray(parameters[0] if parameters else [], dtype=np.float64)
        self.activation = _network.ACTIVATION_CODES[activation]
        levels = (3, 4) if categories else ()
        net = NetworkLayout(
            [n_features + len(levels), *hidden, n_outputs],
            batch_norm,
            n_frequencies=3 if embeddings else 0,
            embedding_dim=2,
            embedded_features=[4, 0, 2],
            scaling_layer=scaling,
            parametric_activation=parametric,
            category_levels=levels,
            category_dim=2,
            n_members=members,
            member_adapters=member_adapters,
        )
        self.layout, self.inputs, self.optional = net.kernel_tables
        rs = np.random.RandomState(seed)
        theta, self.bn_state = net.initialize(
            "auto", activation, np.float64, rs, frequency_scale=0.3
        )
        self.mask = net.optimizer_vectors(np.float64)[1]
        weights = self.mask == 1
        # Biases and shifts start at 0 and scales at 1: move them so that their gradients (and
        # the products they enter) are exercised with generic values.
        theta[~weights] += rs.normal(0.0, 0.5, int((~weights).sum()))
        # Keep weights away from 0, where |w| has its kink (the L1 subgradient jumps there).
        w = theta[weights]
        theta[weights] = np.where(w < 0, -1.0, 1.0) * np.maximum(np.abs(w), 0.05)
        self.theta = theta
        codes = [np.arange(n_rows) % m for m in levels]  # every level, at least once
        self.X = np.column_stack([rs.normal(0.0, 1.0, (n_rows, n_features)), *codes])
        if self.loss_kind in REAL_TARGETS:
            self.Y = rs.normal(0.0, 1.0, (n_rows, n_outputs))
        elif self.loss_kind == _network.POISSON:
            self.Y = rs.poisson(1.5, (n_rows, n_outputs)).astype(np.float64)
        elif self.loss_kind == _network.SOFTMAX_CROSS_ENTROPY:
            self.Y = np.eye(n_outputs)[np.arange(n_rows) % n_outputs]
        else:
            self.Y = (rs.uniform(size=(n_rows, n_outputs)) < 0.5).astype(np.float64)
        self.sw = rs.uniform(0.3, 3.0, n_rows)  # non-uniform sample weights
        n_layers = len(self.layout)
        rates = [0.2] + [0.3 - 0.05 * i for i in range(n_layers - 1)]
        self.rates = np.array(rates if dropout else [0.0] * n_layers)
        self.l2, self.l1 = PENALTIES[penalty]
        self.rng = _rng.make_state(2024 + seed)

    def objective(self, theta):
        """Kernel objective and gradient at ``theta``, with the fixed dropout mask."""
        grad = np.full_like(theta, np.nan)
        X, Xsparse = self.X, None
        if getattr(self, "sparse", False):
            # The same rows as CSR (zeros not stored): the sparse first-layer kernels.
            csr = sp.csr_matrix(self.X)
            X, Xsparse = np.empty((csr.shape[0], 0)), (csr.data, csr.indices, csr.indptr)
        value = _epoch.loss_and_grad(
            X, self.Y, self.sw, theta, grad, self.bn_state, self.layout, self.inputs,
            self.optional, self.mask, self.activation, self.loss, self.rates, self.l2, self.l1,
            self.rng.copy(), Xsparse,
        )  # fmt: skip
        return value, grad

    def fd_gradient(self, theta):
        """Central differences of the objective over every coordinate of ``theta``."""
        g = np.empty_like(theta)
        for i in range(theta.shape[0]):
            plus, minus = theta.copy(), theta.copy()
            plus[i] += H
            minus[i] -= H
            g[i] = (self.objective(plus)[0] - self.objective(minus)[0]) / (2.0 * H)
        return g


def relative_error(g_fd, g):
    """Normwise relative error ``||g_fd - g|| / max(||g_fd|| + ||g||, tiny)``."""
    denom = max(np.linalg.norm(g_fd) + np.linalg.norm(g), np.finfo(np.float64).tiny)
    return np.linalg.norm(g_fd - g) / denom


def check_gradient(problem, activation):
    """Assert the kernel gradient matches central differences; return both gradients."""
    value, g = problem.objective(problem.theta)
    assert np.isfinite(value)
    assert np.all(np.isfinite(g))
    # A trivially small gradient would make the check meaningless.
    assert np.linalg.norm(g) > 1e-3
    g_fd = problem.fd_gradient(problem.theta)
    tol = TOL_KINK if activation in KINKED else TOL_SMOOTH
    err = relative_error(g_fd, g)
    assert err < tol, f"relative error {err:.3g} >= {tol:g}"
    return g_fd, g


@pytest.mark.parametrize("loss_case", LOSS_CASES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_activation_and_loss(activation, loss_case):
    check_gradient(Problem(activation, loss_case), activation)


@pytest.mark.parametrize("hidden", [(), (6,), (4, 3, 3)], ids=["0_hidden", "1_hidden", "3_hidden"])
@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
def test_gradient_architectures(hidden, batch_norm):
    problem = Problem("tanh", "softmax_3_classes", hidden=hidden, batch_norm=batch_norm)
    check_gradient(problem, "tanh")


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
def test_gradient_penalty(penalty, activation):
    problem = Problem(activation, "squared_error_multioutput", penalty=penalty, seed=1)
    g_fd, g = check_gradient(problem, activation)
    # The penalty contributes: without it the gradient of the weights is different.
    no_penalty = Problem(activation, "squared_error_multioutput", seed=1)
    _, g0 = no_penalty.objective(no_penalty.theta)
    weights = problem.mask == 1
    assert np.linalg.norm(g[weights] - g0[weights]) > 1e-2 * np.linalg.norm(g[weights])
    np.testing.assert_array_equal(g[~weights], g0[~weights])


@pytest.mark.parametrize("loss_case", LOSS_CASES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_batch_norm(activation, loss_case):
    problem = Problem(activation, loss_case, batch_norm=True, seed=2)
    bn_before = problem.bn_state.copy()
    check_gradient(problem, activation)
    # The gradient check runs in training mode but must not touch the running statistics.
    np.testing.assert_array_equal(problem.bn_state, bn_before)


@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_dropout_fixed_mask(activation, batch_norm):
    problem = Problem(activation, "softmax_3_classes", batch_norm=batch_norm, dropout=True, seed=3)
    # The same generator state gives the same mask, hence the same objective, on every call...
    v1, g1 = problem.objective(problem.theta)
    v2, g2 = problem.objective(problem.theta)
    assert v1 == v2
    np.testing.assert_array_equal(g1, g2)
    # ... and the mask matters: another state gives another objective.
    other = Problem(activation, "softmax_3_classes", batch_norm=batch_norm, dropout=True, seed=3)
    other.rng = _rng.make_state(1)
    assert other.objective(other.theta)[0] != v1
    check_gradient(problem, activation)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_all_techniques(activation):
    problem = Problem(
        activation, "sigmoid_multilabel", batch_norm=True, dropout=True, penalty="elasticnet",
        seed=4,
    )  # fmt: skip
    check_gradient(problem, activation)


@pytest.mark.parametrize("loss_case", LOSS_CASES)
def test_gradient_with_a_zero_sample_weight(loss_case):
    problem = Problem("logistic", loss_case, penalty="l2", seed=5)
    problem.sw[2] = 0.0
    check_gradient(problem, "logistic")


@pytest.mark.parametrize("loss_case", LOSS_CASES)
def test_integer_weight_equals_repeated_row(loss_case):
    # Without batch norm and dropout a row of weight 2 is the same as that row twice, penalty
    # included (it is divided by the summed weight, which is the same in both batches).
    problem = Problem("elu", loss_case, penalty="elasticnet", seed=6)
    problem.sw = np.array([2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0])
    value, grad = problem.objective(problem.theta)
    repeated = Problem("elu", loss_case, penalty="elasticnet", seed=6)
    rows = [0, 0, 1, 2, 3, 3, 3, 4, 5, 6]
    repeated.X, repeated.Y = problem.X[rows], problem.Y[rows]
    repeated.sw = np.ones(len(rows))
    value_rep, grad_rep = repeated.objective(problem.theta)
    np.testing.assert_allclose(value_rep, value, rtol=1e-12)
    np.testing.assert_allclose(grad_rep, grad, rtol=1e-10, atol=1e-12)


def test_weight_scale_invariance_of_the_loss():
    # The loss is a weighted mean (invariant to scaling all weights); the penalty is divided by
    # the summed weight.
    problem = Problem("tanh", "softmax_3_classes", penalty="l2", seed=7)
    value, _ = problem.objective(problem.theta)
    problem.sw = problem.sw * 10.0
    value_scaled, _ = problem.objective(problem.theta)
    problem.l2 = 0.0
    loss_only, _ = problem.objective(problem.theta)
    penalty_unscaled = value - loss_only
    np.testing.assert_allclose(value_scaled, loss_only + penalty_unscaled / 10.0, rtol=1e-12)
    assert penalty_unscaled > 0


def test_the_check_detects_a_wrong_gradient():
    # The harness itself must be able to fail: a 1e-3 relative error in one coordinate of an
    # otherwise exact gradient is far above the smooth tolerance.
    problem = Problem("tanh", "squared_error_multioutput", seed=8)
    _, g = problem.objective(problem.theta)
    g_fd = problem.fd_gradient(problem.theta)
    assert relative_error(g_fd, g) < TOL_SMOOTH
    i = int(np.argmax(np.abs(g)))
    wrong = g.copy()
    wrong[i] *= 1.0 + 1e-3
    assert relative_error(g_fd, wrong) > 10 * TOL_SMOOTH


@pytest.mark.parametrize("batch_norm", [False, True], ids=["no_bn", "bn"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_parametric_activation(activation, batch_norm):
    problem = Problem(
        activation, "softmax_3_classes", batch_norm=batch_norm, dropout=True, parametric=True,
        seed=9,
    )  # fmt: skip
    check_gradient(problem, activation)


@pytest.mark.parametrize(
    "embeddings, scaling",
    [(True, False), (False, True), (True, True)],
    ids=["embeddings", "scaling", "both"],
)
@pytest.mark.parametrize("loss_case", LOSS_CASES)
def test_gradient_input_block(loss_case, embeddings, scaling):
    problem = Problem("tanh", loss_case, embeddings=embeddings, scaling=scaling, seed=10)
    g_fd, g = check_gradient(problem, "tanh")
    # The input block's own parameters (embedding frequencies, phases, maps and intercepts,
    # input scales) have non-trivial gradients, checked by the differences above.
    net = NetworkLayout(
        [5, 4, 3, problem.Y.shape[1]], False, n_frequencies=3 if embeddings else 0,
        embedding_dim=2, embedded_features=[4, 0, 2], scaling_layer=scaling,
    )  # fmt: skip
    output = net.table[net.rows(_network.DENSE)[-1]]
    block = slice(output[_network.B_OFF] + output[_network.FAN_OUT], None)
    assert np.linalg.norm(g[block]) > 1e-3


@pytest.mark.parametrize("loss_case", LOSS_CASES)
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
def test_gradient_categorical_vectors(loss_case, dropout):
    problem = Problem("tanh", loss_case, dropout=dropout, scaling=True, categories=True, seed=12)
    g_fd, g = check_gradient(problem, "tanh")
    # Every level occurs, so every vector has a gradient of its own.
    off = problem.inputs[_network.CAT_OFF]
    vectors = g[off : off + 7 * 2].reshape(7, 2)
    assert (np.abs(vectors).sum(axis=1) > 1e-6).all()


def test_gradient_every_recipe_part_at_once():
    problem = Problem(
        "mish", "sigmoid_multilabel", batch_norm=True, dropout=True, penalty="elasticnet",
        embeddings=True, scaling=True, parametric=True, categories=True, seed=11,
    )  # fmt: skip
    check_gradient(problem, "mish")


@pytest.mark.parametrize("loss_case", LOSS_CASES)
@pytest.mark.parametrize("scaling", [False, True], ids=["plain", "scaling"])
@pytest.mark.parametrize("dropout", [False, True], ids=["no_dropout", "dropout"])
def test_gradient_on_sparse_rows(loss_case, scaling, dropout):
    problem = Problem(
        "tanh", loss_case, batch_norm=True, dropout=dropout, penalty="l2", scaling=scaling
    )
    problem.X[np.random.RandomState(3).uniform(size=problem.X.shape) < 0.5] = 0.0
    problem.sparse = True
    check_gradient(problem, "tanh")


@pytest.mark.parametrize("loss_case", LOSS_CASES)
@pytest.mark.parametrize("adapters", ["all", "mini"])
def test_gradient_shared_weight_members(loss_case, adapters):
    # Three members sharing every dense weight, with their own scales and biases: the mean
    # of their losses, through batch norm, dropout and the whole input block.
    problem = Problem(
        "tanh", loss_case, batch_norm=True, dropout=True, penalty="l2", embeddings=True,
        scaling=True, parametric=True, categories=True, members=3, member_adapters=adapters,
    )  # fmt: skip
    _, g = check_gradient(problem, "tanh")
    # Every member's scales get a gradient of their own.
    first = problem.layout[problem.layout[:, _network.KIND] == _network.MEMBER_SCALE][0]
    off, width = first[_network.MS_OFF], first[_network.FAN_OUT]
    scales = g[off : off + 3 * width].reshape(3, width)
    assert (np.abs(scales).sum(axis=1) > 1e-6).all()
