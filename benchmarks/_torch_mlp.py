"""The PyTorch network the skorch peers train (imported only when torch is installed)."""

from torch import nn


class SequentialMLP(nn.Sequential):
    """``nn.Sequential`` of ``Linear -> [BatchNorm1d] -> ReLU -> [Dropout]`` blocks.

    The same layer order as skdeep's hidden layers (dense, batch norm, activation, dropout),
    followed by a final ``Linear`` that outputs logits (train it with ``CrossEntropyLoss``).

    Parameters
    ----------
    n_features : int
        Input width.
    hidden : tuple of int, default=(256, 256)
        Hidden-layer widths.
    n_outputs : int, default=5
        Number of classes.
    batch_norm : bool, default=False
        Put ``BatchNorm1d`` after each hidden ``Linear``.
    dropout : float, default=0.0
        Rate of the ``Dropout`` after each hidden activation (none when 0).
    """

    def __init__(self, n_features, hidden=(256, 256), n_outputs=5, batch_norm=False, dropout=0.0):
        layers = []
        fan_in = n_features
        for width in hidden:
            layers.append(nn.Linear(fan_in, width))
            if batch_norm:
                layers.append(nn.BatchNorm1d(width))
            layers.append(nn.ReLU())
            if dropout:
                layers.append(nn.Dropout(dropout))
            fan_in = width
        layers.append(nn.Linear(fan_in, n_outputs))
        super().__init__(*layers)
