"""The training run behind :class:`SequentialAttentionSelector`: the phase schedule and each
variant's selection criterion (attention, column norms, OMP gradient norms).

torch is passed in by the caller, never imported here.
"""

from __future__ import annotations

import math

import numpy as np

# rows per chunk of OMP's full-data gradient (bounds the memory of one backward pass)
_ROW_CHUNK = 8192


def _masked_softmax(torch, logits, candidates):
    """Softmax of each row of ``logits`` over the entries where ``candidates`` is 1 (0 elsewhere)."""
    shifted = logits - logits.max(dim=-1, keepdim=True).values
    e = torch.exp(shifted) * candidates
    # all candidates gone (every feature selected): zeros, without a host sync
    return e / e.sum(dim=-1, keepdim=True).clamp_min(torch.finfo(e.dtype).tiny)


def _mlp(torch, layers, h):
    """The plain forward pass: ReLU between the layers, none after the last."""
    for i, layer in enumerate(layers):
        h = layer(h)
        if i + 1 < len(layers):
            h = torch.relu(h)
    return h


class _Engine:
    """One training run with the phase schedule; returns (order, history, last step's scores)."""

    def __init__(self, est, torch, members, xs, yt, loss_fn, gen, device, k, per_step, n_steps):
        # ``members``: one network, or for an attention ensemble several trained side by
        # side, each on its own batch order and with its own logits (a row of ``self.logits``)
        self.est, self.torch, self.members, self.layers = est, torch, members, members[0]
        self.xs, self.yt, self.loss_fn, self.gen = xs, yt, loss_fn, gen
        self.device, self.k, self.per_step, self.n_steps = device, k, per_step, n_steps
        self.d = xs.shape[1]
        self.variant = est.variant
        self.selected = torch.zeros(self.d, device=device)
        self.order, self.history = [], []
        self.logits = None
        if self.variant == "attention":
            self.logits = torch.nn.Parameter(self._fresh_logits())

    # the reference draws fresh logits from N(0, 1e-5^2) at the start and at every reset
    def _fresh_logits(self):
        shape = (len(self.members), self.d)
        return (self.torch.randn(shape, generator=self.gen) * 1e-5).to(self.device)

    def _net_params(self):
        return [p for layers in self.members for layer in layers for p in layer.parameters()]

    def _params(self):
        return self._net_params() + ([self.logits] if self.logits is not None else [])

    def _make_optimizer(self):
        torch, est = self.torch, self.est
        if est.optimizer == "lbfgs":
            return torch.optim.LBFGS(self._params(), lr=1.0, max_iter=20, history_size=20,
                                     line_search_fn="strong_wolfe")
        groups = [{"params": self._net_params(), "weight_decay": est.weight_decay}]
        if self.logits is not None:
            # the logits: their own step size, and never any weight decay
            groups.append({"params": [self.logits], "lr": self.attention_lr, "weight_decay": 0.0})
        if est.weight_decay:
            return torch.optim.AdamW(groups, lr=est.learning_rate)  # decoupled decay
        return torch.optim.Adam(groups, lr=est.learning_rate)

    def _mask(self, warm):
        if self.variant == "attention":
            if warm:
                return None
            att = _masked_softmax(self.torch, self.logits, 1.0 - self.selected)
            return self.selected + att
        if self.variant == "omp":
            return self.selected
        return None

    def _forward(self, x, mask, first_pre=False, layers=None):
        layers = self.layers if layers is None else layers
        h = x if mask is None else x * mask
        pre = None
        for i, layer in enumerate(layers):
            h = layer(h)
            if i == 0:
                pre = h
            if i + 1 < len(layers):
                h = self.torch.relu(h)
        return (h, pre) if first_pre else h

    def _loss(self, idx, warm):
        """The training loss: summed over the members, so each follows its own trajectory.

        ``idx``: the rows of each member's mini-batch (None: every row).
        """
        mask = self._mask(warm)
        if len(self.members) == 1:
            xb, yb = self._rows(idx[0])
            return self.loss_fn(self._forward(xb, mask if mask is None or mask.dim() == 1 else mask[0]), yb)
        masks = [None] * len(self.members) if mask is None else mask
        return sum(self.loss_fn(self._forward(xb, m, layers=layers), yb)
                   for m, layers, (xb, yb) in zip(masks, self.members, map(self._rows, idx)))

    def _rows(self, idx):
        return (self.xs, self.yt) if idx is None else (self.xs[idx], self.yt[idx])

    def _penalty(self):
        if self.variant not in ("lasso", "group_lasso") or self.est.penalty == 0:
            return None
        norms = self.layers[0].weight.norm(dim=0)
        if self.variant == "lasso":
            norms = norms * (1.0 - self.selected)
        return self.est.penalty * norms.sum()

    def _criterion(self):
        """Score of every feature for the next selection (larger = select)."""
        torch = self.torch
        if self.variant == "attention":
            with torch.no_grad():
                # an ensemble selects by its mean attention
                return _masked_softmax(torch, self.logits, 1.0 - self.selected).mean(dim=0)
        if self.variant in ("lasso", "group_lasso"):
            with torch.no_grad():
                return self.layers[0].weight.norm(dim=0)
        # OMP: the gradient of the loss w.r.t. input j's first-layer weights, were j switched
        # on, is X_j^T delta with delta = dL/d(first pre-activation) of the current model.
        n = self.xs.shape[0]
        grad = torch.zeros(self.layers[0].weight.shape[0], self.d, device=self.device)
        for start in range(0, n, _ROW_CHUNK):
            xb, yb = self.xs[start:start + _ROW_CHUNK], self.yt[start:start + _ROW_CHUNK]
            out, pre = self._forward(xb, self.selected, first_pre=True)
            loss = self.loss_fn(out, yb) * (xb.shape[0] / n)
            (delta,) = torch.autograd.grad(loss, pre)
            grad += delta.T @ xb
        return grad.norm(dim=0).detach()

    def _select(self, count):
        crit = self._criterion() * (1.0 - self.selected)
        crit_np = crit.cpu().double().numpy()
        self.history.append(crit_np)
        candidates = np.flatnonzero(self.selected.cpu().numpy() == 0)
        # stable order on ties: the lower column index wins
        best = candidates[np.argsort(-crit_np[candidates], kind="stable")[:count]]
        for j in best:
            self.order.append(int(j))
            self.selected[int(j)] = 1.0
        return crit_np

    def _on_selection(self, opt):
        if self.variant == "attention":
            with self.torch.no_grad():
                self.logits.copy_(self._fresh_logits())
            # stale Adam moments would keep pushing the fresh logits; start them afresh too
            if isinstance(opt, (self.torch.optim.Adam, self.torch.optim.AdamW)):
                opt.state.pop(self.logits, None)
        if isinstance(opt, self.torch.optim.LBFGS):
            return self._make_optimizer()  # the objective changed: the curvature history is stale
        return opt

    def run(self):
        torch, est = self.torch, self.est
        n = self.xs.shape[0]
        batch = est.batch_size_
        full_batch = batch is None or batch >= n or est.optimizer == "lbfgs"
        per_epoch = 1 if full_batch else math.ceil(n / batch)
        total = est.epochs * per_epoch
        if self.variant != "group_lasso":
            warm_frac = 0.0 if self.variant == "omp" else est.warmup
            total = max(total, math.ceil(est.min_phase_steps * self.n_steps / (1.0 - warm_frac)))
        warm = 0 if self.variant == "omp" else int(round(est.warmup * total))
        total = max(total, warm + self.n_steps)  # at least one step per phase
        phases = total - warm
        # last step of each phase (inclusive); phases are as equal as integer steps allow
        self.total = total
        ends = [warm + (p + 1) * phases // self.n_steps - 1 for p in range(self.n_steps)]
        starts = [warm] + [e + 1 for e in ends[:-1]]
        reference = est.reference_schedule and self.variant == "attention"
        group = self.variant == "group_lasso"
        self.attention_lr = est.attention_learning_rate
        if self.attention_lr == "auto":
            self.attention_lr = max(est.learning_rate, 2.0 / max(1, phases // self.n_steps))

        opt = self._make_optimizer()
        step, last = 0, None
        remaining = self.k
        phase = 0
        while step < total:
            # each ensemble member draws its own batch order: a network without hidden layers
            # starts at zero, so members on the same batches would differ only by their
            # 1e-5 logits and the ensemble would average one attention with itself
            orders = [[None] if full_batch else list(torch.randperm(n, generator=self.gen).split(batch))
                      for _ in self.members]
            for idx in zip(*orders):
                if step >= total:
                    break
                if reference and not group and phase < self.n_steps and step == starts[phase]:
                    count = min(self.per_step, remaining)
                    last = self._select(count)
                    remaining -= count
                    opt = self._on_selection(opt)

                def closure():
                    opt.zero_grad(set_to_none=True)
                    loss = self._loss(idx, step < warm)
                    pen = self._penalty()
                    if pen is not None:
                        loss = loss + pen
                    loss.backward()
                    return loss

                opt.step(closure)
                if not reference and not group and phase < self.n_steps and step == ends[phase]:
                    count = min(self.per_step, remaining)
                    last = self._select(count)
                    remaining -= count
                    opt = self._on_selection(opt)
                if phase < self.n_steps and step == ends[phase]:
                    phase += 1
                step += 1
        if group:
            last = self._select(self.k)
        elif reference:
            # the last phase trained with k features; its remaining attention ranks the rest
            last = self._criterion().cpu().double().numpy() * (1 - self.selected.cpu().numpy())
        return self.order, self.history, last
