"""Layer kinds: the layer table, and what adding a kind takes.

The layer table (:mod:`skdeep._network`) has one row per layer, its ``KIND`` column choosing
the kernel pair of ``skdeep/_kernels/_layers.py`` that runs it. The test at the end adds a toy
kind (a learnable scalar gain after each hidden layer) to a copy of the package, with the
edits listed in ``GAIN_KIND``, and checks that the new kind trains: its gradient by finite
differences, and a fitted estimator with the new fitted attribute.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from skdeep._inference import network_outputs
from skdeep._network import (
    ACTIVATION,
    BATCH_NORM,
    DENSE,
    DROPOUT,
    FAN_IN,
    FAN_OUT,
    INPUT,
    KIND,
    LAYER_KINDS,
    LOSS,
    RATE,
    RELU,
    W_OFF,
    NetworkLayout,
)

from .paths import copy_package


def test_layer_table_runs_input_then_hidden_layers_then_dense_and_loss():
    net = NetworkLayout([5, 8, 6, 3], True, parametric_activation=True)
    hidden = [DENSE, BATCH_NORM, ACTIVATION, DROPOUT]
    assert net.table[:, KIND].tolist() == [INPUT, *hidden, *hidden, DENSE, LOSS]
    assert sorted(LAYER_KINDS.values()) == list(range(len(LAYER_KINDS)))
    # Each dropout row names its rate: 0 is the input's, then one per hidden layer.
    assert net.table[net.rows(DROPOUT), RATE].tolist() == [1, 2]
    assert net.n_layers == 3 and net.rows(DENSE).tolist() == [1, 5, 9]


def test_segments_are_read_through_the_layout():
    net = NetworkLayout([4, 6, 2], True, parametric_activation=True)
    theta = np.arange(net.n_params, dtype=np.float64)
    views = net.unpack(theta, np.zeros(net.n_bn_state))
    for row, coefs in zip(net.rows(DENSE), views["coefs_"], strict=True):
        view = net.view(theta, row, W_OFF)
        assert view.shape == (net.table[row, FAN_IN], net.table[row, FAN_OUT])
        assert np.shares_memory(view, theta) and np.array_equal(view, coefs)
    # Rows of other kinds have no weights; each segment is where one kind of row says.
    assert len(views["coefs_"]) == 2 and len(views["batch_norm_gamma_"]) == 1
    assert len(views["activation_mix_"]) == 1


def test_the_optional_kinds_switch_follows_the_table():
    # Batch norm and the members' kinds are optional: a table without them gets None, and
    # the kernels compiled for None leave their branches out.
    plain = NetworkLayout([4, 6, 2], False, parametric_activation=True)
    assert plain.kernel_tables[2] is None
    assert NetworkLayout([4, 6, 2], True).kernel_tables[2]
    assert NetworkLayout([4, 6, 2], False, n_members=3).kernel_tables[2]
    table, inputs, optional = plain.kernel_tables
    assert table is plain.table and inputs is plain.inputs


def test_kernels_compiled_without_the_optional_kinds_refuse_a_table_that_has_them():
    net = NetworkLayout([3, 5, 2], True)
    rs = np.random.RandomState(0)
    theta, bn_state = net.initialize("auto", "relu", np.float64, rs)
    X = rs.normal(size=(7, 3))
    out = network_outputs(X, None, theta, bn_state, net.kernel_tables, RELU)
    assert out.shape == (7, 2) and np.isfinite(out).all()
    # The switch for none would skip the batch-norm rows: an error, never other numbers.
    with pytest.raises(ValueError, match="optional kinds"):
        network_outputs(X, None, theta, bn_state, (net.table, net.inputs, None), RELU)


# The toy kind, as the recipe of docs/architecture.rst says: (file, text, replacement) edits,
# each text found exactly once. Three files: the network description (its code, a column, a
# segment, where its rows go and their offsets and initial values), its kernel pair, and one
# branch each in the forward and backward passes.
GAIN_KIND = [
    (
        "_network.py",
        "    MB_OFF,\n) = range(14)\nN_COLUMNS = MB_OFF + 1\n",
        "    MB_OFF,\n    GAIN_OFF,\n) = range(15)\nN_COLUMNS = GAIN_OFF + 1\n",
    ),
    (
        "_network.py",
        "MEMBER_SCALE = range(8)\nLAYER_KINDS = {\n",
        'MEMBER_SCALE, GAIN = range(9)\nLAYER_KINDS = {\n    "gain": GAIN,\n',
    ),
    (
        "_network.py",
        '    Segment("input_scale_",',
        '    Segment("gains_", "layers", GAIN_OFF, "theta", "scaling", ()),\n'
        '    Segment("input_scale_",',
    ),
    (
        "_network.py",
        "            rows.append(_row(DROPOUT, fan_out, fan_out, {RATE: layer + 1}))\n",
        "            rows.append(_row(DROPOUT, fan_out, fan_out, {RATE: layer + 1}))\n"
        "            rows.append(_row(GAIN, fan_out, fan_out))\n",
    ),
    (
        "_network.py",
        "            offset += sum(self.category_levels) * self.category_dim\n",
        "            offset += sum(self.category_levels) * self.category_dim\n"
        "        for r in np.flatnonzero(table[:, KIND] == GAIN):\n"
        "            table[r, GAIN_OFF] = offset\n"
        "            offset += 1\n",
    ),
    (
        "_network.py",
        '"batch_norm_running_var_", "activation_mix_"):',
        '"batch_norm_running_var_", "activation_mix_", "gains_"):',
    ),
    (
        "_kernels/_layers.py",
        "\n\n@kernel(inline=True)\ndef dropout_forward(",
        "\n\n@kernel\ndef gain_forward(A, gain):\n"
        "    return A * gain[0]\n"
        "\n\n@kernel\ndef gain_backward(dZ, A, gain, g_gain):\n"
        "    g_gain[0] = np.sum(dZ * A)\n"
        "    dZ *= gain[0]\n"
        "\n\n@kernel(inline=True)\ndef dropout_forward(",
    ),
    (
        "_kernels/_epoch.py",
        "from .._network import (\n",
        "from .._network import (\n    GAIN,\n    GAIN_OFF,\n",
    ),
    (
        "_kernels/_epoch.py",
        "from ._layers import (\n",
        "from ._layers import (\n    gain_backward,\n    gain_forward,\n",
    ),
    (
        "_kernels/_epoch.py",
        "        elif kind == LOSS and training:\n",
        "        elif kind == GAIN:\n"
        "            A = gain_forward(A, theta[layout[r, GAIN_OFF] : layout[r, GAIN_OFF] + 1])\n"
        "        elif kind == LOSS and training:\n",
    ),
    (
        "_kernels/_epoch.py",
        "        elif kind == INPUT and reach_input:\n",
        "        elif kind == GAIN:\n"
        "            g = layout[r, GAIN_OFF]\n"
        "            gain_backward(dZ, outputs[r - 1], theta[g : g + 1], grad[g : g + 1])\n"
        "        elif kind == INPUT and reach_input:\n",
    ),
]

_CHECK_GAIN_KIND = r"""
import json
import warnings
import numpy as np
import skdeep
from skdeep import RegularizedMLPClassifier
from skdeep._kernels import _epoch
from skdeep._network import GAIN, GAIN_OFF, KIND, LOSS_CODES, SELU, NetworkLayout

# No batch norm: it would undo a gain in front of it (its gradient would be 0).
net = NetworkLayout([4, 6, 5, 3], False, parametric_activation=True)
rs = np.random.RandomState(0)
theta, bn_state = net.initialize("glorot_normal", "selu", np.float64, rs)
theta += rs.normal(0.0, 0.2, theta.shape)  # gains away from 1, mixes away from 1
X = rs.normal(size=(40, 4))
Y = np.eye(3)[rs.randint(0, 3, 40)]
sw = np.ones(40)
_, mask, _ = net.optimizer_vectors(np.float64)


def loss(t, grad):
    return _epoch.loss_and_grad(
        X, Y, sw, t, grad, bn_state.copy(), *net.kernel_tables, mask, SELU,
        (LOSS_CODES["softmax_cross_entropy"], np.zeros(0)), np.zeros(net.n_layers), 0.0, 0.0,
        np.zeros(1, np.uint64), None,
    )


grad = np.empty_like(theta)
loss(theta, grad)
numeric = np.empty_like(theta)
for i in range(theta.size):
    step = np.zeros_like(theta)
    step[i] = 1e-6
    up = loss(theta + step, np.empty_like(theta))
    numeric[i] = (up - loss(theta - step, np.empty_like(theta))) / 2e-6
gains = net.unpack(theta, bn_state)["gains_"]
gain_rows = [int(r) for r in np.flatnonzero(net.table[:, KIND] == GAIN)]
gain_offsets = [int(net.table[r, GAIN_OFF]) for r in gain_rows]

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    X_fit = rs.normal(size=(300, 4))
    y_fit = (X_fit[:, 0] > 0).astype(int) + (X_fit[:, 1] > 0)
    est = RegularizedMLPClassifier(hidden_layer_sizes=(16, 16), max_iter=30, random_state=0)
    est.fit(X_fit, y_fit)
print("RESULT:" + json.dumps({
    "skdeep": skdeep.__file__,
    "max_error": float(np.abs(grad - numeric).max()),
    "scale": float(np.abs(numeric).max()),
    "gain_gradient": [float(grad[o]) for o in gain_offsets],
    "n_gains": len(gains),
    "fitted_gains": [float(g) for g in est.gains_],
    "train_accuracy": float(est.score(X_fit, y_fit)),
}))
"""


@pytest.mark.slow  # ~70 s: a fresh process compiles the edited copy's kernels
def test_a_new_layer_kind_is_a_kernel_pair_and_a_table_entry(tmp_path):
    site = tmp_path / "site"
    package = copy_package(site)
    for name, text, replacement in GAIN_KIND:
        path = package / name
        source = path.read_text()
        assert source.count(text) == 1, f"{name} changed; update GAIN_KIND: {text!r}"
        path.write_text(source.replace(text, replacement))
    assert len({name for name, _, _ in GAIN_KIND}) == 3
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(site), NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    result = subprocess.run(
        [sys.executable, "-c", _CHECK_GAIN_KIND],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    line = [s for s in result.stdout.splitlines() if s.startswith("RESULT:")][-1]
    out = json.loads(line[len("RESULT:") :])
    assert out["skdeep"] == str(package / "__init__.py")
    # The whole gradient, the gains' included, agrees with finite differences.
    assert out["max_error"] < 1e-6 * max(1.0, out["scale"])
    assert out["n_gains"] == 2 and all(abs(g) > 1e-4 for g in out["gain_gradient"])
    # The estimator trains the new kind and reports it as a fitted attribute.
    assert len(out["fitted_gains"]) == 2 and all(g != 1.0 for g in out["fitted_gains"])
    assert out["train_accuracy"] > 0.8
