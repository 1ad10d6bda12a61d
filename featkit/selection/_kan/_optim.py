"""Adam on one flat parameter buffer, for the small batched KANs."""

from __future__ import annotations

import math

__all__ = ["FlatAdam"]


class FlatAdam:
    """Adam (Kingma & Ba 2015, with torch.optim.Adam's L2 ``weight_decay``) on one flat buffer.

    The parameters are views into a single tensor, so a step is six
    elementwise operations however many parameter tensors there are -- for
    the small batched KANs the optimizer's per-tensor bookkeeping otherwise
    costs as much as the arithmetic.
    """

    def __init__(self, torch, tensors, lr, weight_decay=0.0, betas=(0.9, 0.999), eps=1e-8):
        self.torch = torch
        self.theta = torch.cat([t.reshape(-1) for t in tensors])
        self.params, offset = [], 0
        for t in tensors:
            self.params.append(self.theta[offset:offset + t.numel()].view(t.shape))
            offset += t.numel()
        self.m = torch.zeros_like(self.theta)
        self.v = torch.zeros_like(self.theta)
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.t = 0

    def step(self, grads):
        torch = self.torch
        b1, b2 = self.betas
        g = torch.cat([x.reshape(-1) for x in grads])
        if self.weight_decay:
            g.add_(self.theta, alpha=self.weight_decay)
        self.t += 1
        self.m.lerp_(g, 1.0 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1.0 - b2)
        denom = (self.v.sqrt() / math.sqrt(1.0 - b2 ** self.t)).add_(self.eps)
        self.theta.addcdiv_(self.m, denom, value=-self.lr / (1.0 - b1 ** self.t))
