"""Diagrams that are drawn, not shipped: matplotlib figures the chapters show.

Each function returns the figure (a chapter's cell ends with ``plt.show()``); the
caption is the Markdown paragraph under the cell. matplotlib is imported when a
diagram is drawn, so importing the package does not need it.
"""

from __future__ import annotations

import numpy as np


def draw_cbam_block():
    """CBAM on a toy map: F (C x H x W), its gates Mc (C x 1 x 1) and Ms (1 x H x W),
    and F'' = Ms x (Mc x F). Chapter 4's Figure 1."""
    import matplotlib.pyplot as plt

    feature = np.random.default_rng(3).random((6, 7, 9))  # (C, H, W)
    mc = np.array([0.9, 0.2, 0.7, 0.4, 0.95, 0.1])[:, None, None]  # (C, 1, 1)
    rows, columns = np.mgrid[0:7, 0:9]  # a gate open around row 3, column 5:
    ms = np.exp(-((rows - 3) ** 2 + (columns - 5) ** 2) / 6)  # (H, W)
    panels = [("F", feature), ("Mc: what", mc[:, :, 0]), ("Ms: where", ms)]
    panels.append(("F'' = Ms x (Mc x F)", feature * mc * ms))
    figure, axes = plt.subplots(1, 4, figsize=(6.9, 1.9), width_ratios=[3, 1, 2, 3])
    for axis, (title, maps) in zip(axes, panels):
        if maps.ndim == 2:  # a gate: one colour per channel, or per position
            axis.imshow(maps, cmap="magma", vmin=0, vmax=1)
        else:  # a feature map: its channels drawn as a stack of offset sheets
            for depth in range(5, -1, -1):
                extent = (depth * 1.2, 9 + depth * 1.2, depth * 1.2, 7 + depth * 1.2)
                axis.imshow(maps[depth], cmap="viridis", vmin=0, vmax=1, extent=extent)
            axis.set(xlim=(0, 16), ylim=(0, 14))
        axis.set(xticks=[], yticks=[])
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


# FPN and PANet over P3-P7 as (level, input ids) lists, numbered like bifpn_nodes(5):
# ids 0-4 are the inputs P3-P7, node i reads the ids it lists.
FPN_NODES = [(4, (4,)), (3, (3, 5)), (2, (2, 6)), (1, (1, 7)), (0, (0, 8))]
PANET_NODES = FPN_NODES + [
    (0, (9,)),
    (1, (8, 10)),
    (2, (7, 11)),
    (3, (6, 12)),
    (4, (5, 13)),
]


def draw_bifpn_graphs():
    """FPN, PANet and BiFPN over P3-P7, drawn from their node lists (BiFPN's from
    cnn_attention.bifpn_rules, the one the modules use). Chapter 7's Figure 1."""
    import matplotlib.pyplot as plt

    from cnn_attention.bifpn_rules import bifpn_nodes

    figure, axes = plt.subplots(1, 3, figsize=(6.9, 2.9))
    graphs = zip(
        axes, ("FPN", "PANet", "BiFPN"), (FPN_NODES, PANET_NODES, bifpn_nodes(5))
    )
    for axis, title, nodes in graphs:
        last = {level: i for i, (level, _) in enumerate(nodes, start=5)}  # outputs
        place = {i: (0, i) for i in range(5)}  # node id -> (column, level)
        for i, (level, inputs) in enumerate(nodes, start=5):
            place[i] = (2 if last[level] == i and len(nodes) > 5 else 1, level)
            for x0, y0 in (place[source] for source in inputs):
                x1, y1 = place[i]
                color = "0.6" if y0 == y1 else "tab:blue" if y0 > y1 else "tab:orange"
                arrow = dict(arrowstyle="-|>", shrinkA=9, shrinkB=9, color=color)
                if y0 == y1 and x1 - x0 == 2 and (1, y0) in place.values():  # new edge
                    arrow.update(color="tab:green", connectionstyle="arc3,rad=-0.35")
                axis.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=arrow)
        for node, (x, y) in place.items():
            face = "white" if node < 5 else "0.85"
            axis.plot(x, y, "o", markersize=13, markerfacecolor=face, color="0.2")
        for level in range(5):
            axis.text(
                -0.35, level, f"P{level + 3}", ha="right", va="center", fontsize=9
            )
        edges = sum(len(inputs) for _, inputs in nodes)
        axis.set_title(f"{title}: {len(nodes)} nodes, {edges} edges", fontsize=10)
        axis.axis([-0.8, 2.4, -0.6, 4.6])
        axis.axis("off")
    figure.tight_layout()
    return figure


__all__ = ["draw_cbam_block", "draw_bifpn_graphs", "FPN_NODES", "PANET_NODES"]
