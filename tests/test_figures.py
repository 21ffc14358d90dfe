"""The diagrams the chapters draw with code (cnn_attention.figures.drawings)."""

import matplotlib
import pytest

from cnn_attention.bifpn_rules import bifpn_nodes
from cnn_attention.figures import draw_bifpn_graphs, draw_cbam_block, show_figure
from cnn_attention.figures.drawings import FPN_NODES, PANET_NODES

matplotlib.use("Agg")


def test_bifpn_graphs_are_drawn_from_the_node_lists_the_modules_use():
    import matplotlib.pyplot as plt

    figure = draw_bifpn_graphs()
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == [
        "FPN: 5 nodes, 9 edges",
        "PANet: 10 nodes, 18 edges",
        "BiFPN: 8 nodes, 19 edges",
    ]
    # BiFPN = PANet without its two single-input nodes, plus three skip edges
    assert len(bifpn_nodes(5)) == len(PANET_NODES) - 2 == len(FPN_NODES) + 3
    assert figure.get_size_inches()[0] <= 6.9  # the page's width
    plt.close(figure)


def test_cbam_block_shows_the_map_both_gates_and_the_result():
    import matplotlib.pyplot as plt

    figure = draw_cbam_block()
    assert [axis.get_title() for axis in figure.axes][1:3] == ["Mc: what", "Ms: where"]
    assert figure.get_size_inches()[0] <= 6.9
    plt.close(figure)


def test_an_unknown_shipped_figure_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown figure 'bifpn'; known: eca_module"):
        show_figure("bifpn")
