"""The two-layer KAN: torch modules and the loss gradients written by hand.

Each edge j -> o computes ``phi_oj(x) = wb_oj * SiLU(x) + ws_oj * sum_m c_ojm B_m(x)``
(Liu et al. 2024, in efficient-kan's B-spline form). torch is passed in by the
caller, never imported here.
"""

from __future__ import annotations

import numpy as np

from ._bases import basis_and_derivative, uniform_basis, uniform_knots

__all__ = ["kan_gradients", "kan_network_class"]

# The module classes need torch, so they are built on first use and kept.
_CACHE = {}


def kan_gradients(torch, params, silu1, basis1, target, row_w, classification, knots, h, order):
    """Loss gradients of a batch of two-layer KANs, by hand (no autograd graph).

    ``params`` = [wb1 (F,H,D), coef1 (F,H,D,M), ss1 (F,H,D), wb2 (F,C,H), coef2
    (F,C,H,M), ss2 (F,C,H)]; ``silu1`` (F,N,D) and ``basis1`` (F,N,D*M) are the
    first layer's fixed input features; the loss is sum_f sum_n row_w[f, n] *
    loss(row n of fold f) (cross-entropy, or the mean squared error over the
    outputs). For tiny networks the autograd engine's per-node bookkeeping
    costs more than this arithmetic.
    """
    wb1, coef1, ss1, wb2, coef2, ss2 = params
    nf, n_out, n_hid, m = coef2.shape
    e1 = (ss1.unsqueeze(-1) * coef1).reshape(nf, n_hid, -1)
    h1 = torch.baddbmm(torch.bmm(basis1, e1.transpose(1, 2)), silu1, wb1.transpose(1, 2))
    sig = torch.sigmoid(h1)
    silu2 = h1 * sig
    b2, db2 = basis_and_derivative(torch, h1, knots, order, h)
    b2 = b2.reshape(nf, h1.shape[1], -1)
    e2 = (ss2.unsqueeze(-1) * coef2).reshape(nf, n_out, -1)
    out = torch.baddbmm(torch.bmm(b2, e2.transpose(1, 2)), silu2, wb2.transpose(1, 2))
    if classification:
        g = torch.softmax(out, dim=-1)
        g.scatter_add_(-1, target.unsqueeze(-1), torch.full_like(g[..., :1], -1.0))
        g.mul_(row_w.unsqueeze(-1))
    else:
        g = (out - target).mul_(row_w.unsqueeze(-1) * (2.0 / n_out))
    gt = g.transpose(1, 2)
    g_wb2 = torch.bmm(gt, silu2)
    g_e2 = torch.bmm(gt, b2).reshape(nf, n_out, n_hid, m)
    g_h1 = torch.bmm(g, wb2).mul_(sig * (1.0 + h1 * (1.0 - sig)))
    g_h1 += (torch.bmm(g, e2).reshape(db2.shape) * db2).sum(dim=-1)
    g1t = g_h1.transpose(1, 2)
    g_wb1 = torch.bmm(g1t, silu1)
    g_e1 = torch.bmm(g1t, basis1).reshape(coef1.shape)
    return [g_wb1, g_e1 * ss1.unsqueeze(-1), (g_e1 * coef1).sum(dim=-1),
            g_wb2, g_e2 * ss2.unsqueeze(-1), (g_e2 * coef2).sum(dim=-1)]


def kan_network_class(torch):
    """The torch module classes, built once on first use (torch is imported lazily)."""
    if "KAN" in _CACHE:
        return _CACHE["KAN"]
    nn = torch.nn
    F = torch.nn.functional

    class KANLayer(nn.Module):
        def __init__(self, n_in, n_out, grid_size, spline_order, generator, device):
            super().__init__()
            knots, h = uniform_knots(torch, grid_size, spline_order, (-1.0, 1.0), device)
            self.register_buffer("knots", knots)
            self.h = h
            self.spline_order = spline_order
            n_basis = grid_size + spline_order
            bound = 1.0 / np.sqrt(n_in)
            kw = dict(device=device, dtype=torch.float32)
            self.base_weight = nn.Parameter(
                (torch.rand(n_out, n_in, generator=generator, **kw) * 2 - 1) * bound)
            # small random splines: the network starts close to its SiLU part, as in pykan
            self.coef = nn.Parameter(
                (torch.rand(n_out, n_in, n_basis, generator=generator, **kw) * 2 - 1) * (0.1 * bound))
            self.spline_scale = nn.Parameter(torch.ones(n_out, n_in, **kw))

        def basis(self, x):
            return uniform_basis(torch, x, self.knots, self.spline_order, self.h)

        def effective_coef(self):
            return self.spline_scale.unsqueeze(-1) * self.coef

        def forward_parts(self, silu_x, basis):
            n = silu_x.shape[0]
            coef = self.effective_coef().reshape(self.coef.shape[0], -1)
            return silu_x @ self.base_weight.T + basis.reshape(n, -1) @ coef.T

        def forward(self, x):
            return self.forward_parts(F.silu(x), self.basis(x))

        def contributions(self, x):
            """Per-edge outputs phi_oj(x_nj), shape (n, n_in, n_out)."""
            spline = torch.einsum("nim,oim->nio", self.basis(x), self.effective_coef())
            return F.silu(x).unsqueeze(-1) * self.base_weight.T.unsqueeze(0) + spline

    class KAN(nn.Module):
        def __init__(self, widths, grid_size, spline_order, generator, device):
            super().__init__()
            self.layers = nn.ModuleList(
                KANLayer(a, b, grid_size, spline_order, generator, device)
                for a, b in zip(widths[:-1], widths[1:])
            )

        def head(self, hidden):
            for layer in self.layers[1:]:
                hidden = layer(hidden)
            return hidden

        def forward(self, x):
            return self.head(self.layers[0](x))

    _CACHE["KAN"] = KAN
    return KAN
