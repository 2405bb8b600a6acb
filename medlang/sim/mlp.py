"""A small multilayer perceptron trained with Adam, in numpy (tanh hidden layers,
linear output, mean squared error). Deterministic for a given seed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Mlp:
    weights: list[np.ndarray]  # (n_in, n_out) per layer
    biases: list[np.ndarray]

    @classmethod
    def init(cls, sizes: list[int], rng: np.random.Generator) -> Mlp:
        weights, biases = [], []
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            weights.append(rng.normal(0.0, np.sqrt(1.0 / n_in), (n_in, n_out)))  # LeCun
            biases.append(np.zeros(n_out))
        return cls(weights, biases)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = x @ w + b
            if layer < len(self.weights) - 1:
                x = np.tanh(x)
        return x

    def _forward_with_activations(self, x: np.ndarray) -> list[np.ndarray]:
        activations = [x]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = x @ w + b
            if layer < len(self.weights) - 1:
                x = np.tanh(x)
            activations.append(x)
        return activations

    def gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """Mean squared error and its gradient (weights then biases, layer order)."""
        acts = self._forward_with_activations(x)
        error = acts[-1] - y
        loss = float(np.mean(error**2))
        delta = 2.0 * error / error.size
        grad_w: list[np.ndarray] = []
        grad_b: list[np.ndarray] = []
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_w.append(acts[layer].T @ delta)
            grad_b.append(delta.sum(axis=0))
            if layer:
                delta = (delta @ self.weights[layer].T) * (1.0 - acts[layer] ** 2)
        return loss, grad_w[::-1] + grad_b[::-1]

    def parameters(self) -> list[np.ndarray]:
        return self.weights + self.biases

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean((self.forward(x) - y) ** 2))


@dataclass(frozen=True)
class AdamSettings:
    learning_rate: float = 3e-3
    epochs: int = 300
    batch_size: int = 64
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8


@dataclass(frozen=True)
class TrainingHistory:
    train_loss: float
    val_loss: float
    n_epochs: int
    best_epoch: int


def train(
    model: Mlp,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    settings: AdamSettings,
    rng: np.random.Generator,
    on_epoch=None,
) -> TrainingHistory:
    """Adam on minibatches; keeps the parameters of the epoch with the lowest val loss."""
    params = model.parameters()
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    best = (np.inf, 0, [p.copy() for p in params])
    step = 0
    n = len(x_train)
    for epoch in range(1, settings.epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, settings.batch_size):
            batch = order[start : start + settings.batch_size]
            _, grads = model.gradients(x_train[batch], y_train[batch])
            step += 1
            for p, g, m_i, v_i in zip(params, grads, m, v, strict=True):
                m_i *= settings.beta1
                m_i += (1.0 - settings.beta1) * g
                v_i *= settings.beta2
                v_i += (1.0 - settings.beta2) * g * g
                m_hat = m_i / (1.0 - settings.beta1**step)
                v_hat = v_i / (1.0 - settings.beta2**step)
                p -= settings.learning_rate * m_hat / (np.sqrt(v_hat) + settings.eps)
        val_loss = model.loss(x_val, y_val) if len(x_val) else model.loss(x_train, y_train)
        if val_loss < best[0]:
            best = (val_loss, epoch, [p.copy() for p in params])
        if on_epoch is not None:
            on_epoch(epoch)
    for p, saved in zip(params, best[2], strict=True):
        p[...] = saved
    return TrainingHistory(
        train_loss=model.loss(x_train, y_train),
        val_loss=best[0],
        n_epochs=settings.epochs,
        best_epoch=best[1],
    )
