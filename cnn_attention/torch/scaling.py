"""Applying a gate without a second full-size tensor.

A gated module that multiplies twice (CBAM: x * Mc, then * Ms; Coordinate Attention:
x * a_w * a_h) would allocate two tensors the size of x. On a CPU each fresh
allocation that size can cost more than the multiplication: the memory allocator
hands freed memory back to the operating system and the new tensor's pages are
faulted in again, one page at a time (chapter 4's "Making it fast" measures it).
When autograd does not need the intermediate product, the second multiplication can
overwrite it instead.
"""

import torch


def multiply_into(fresh: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
    """fresh * gate, written into `fresh` when nothing needs its old value.

    `fresh` must be a tensor the caller has just computed, never the module's
    input. The product is written in place unless autograd will need `fresh`'s
    values (either tensor requires grad) or the result would differ in dtype or
    shape from `fresh`, or while torch.jit.trace records; then a new tensor is
    returned. The values are the same either way: the same multiplication, in
    the same order.
    """
    out_of_place = (
        fresh.requires_grad
        or gate.requires_grad
        or gate.dtype != fresh.dtype
        or gate.dim() > fresh.dim()
        or torch.jit.is_tracing()  # one graph whether or not the trace needs grads
    )
    offset = fresh.dim() - gate.dim()
    for axis in range(min(gate.dim(), fresh.dim())):
        if gate.shape[axis] != 1 and gate.shape[axis] != fresh.shape[axis + offset]:
            out_of_place = True
    if out_of_place:  # one line for every reason: traces record the same graph
        return fresh * gate
    return fresh.mul_(gate)


__all__ = ["multiply_into"]
