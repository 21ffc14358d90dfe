"""The book's diagrams, shipped inside the package so that chapters show them anywhere.

A chapter displays a diagram with one code cell, ``show_figure("se_block")``: the SVG
comes from this folder, so nothing has to sit beside the notebook, and Jupyter, Colab,
GitHub and the web book all render the cell's output. A diagram that needs no code to
draw goes here as ``<name>.svg``; the caption is the Markdown paragraph under the cell.
Diagrams drawn from data or from the package's own structures are functions in
``drawings.py`` (``draw_bifpn_graphs()`` draws BiFPN from the modules' own node list).
"""

from __future__ import annotations

from importlib import resources

from cnn_attention.figures.drawings import draw_bifpn_graphs, draw_cbam_block


def figure_names() -> list[str]:
    """The diagrams the package ships, by name (file name without ``.svg``)."""
    folder = resources.files(__name__)
    return sorted(
        item.name.removesuffix(".svg")
        for item in folder.iterdir()
        if item.name.endswith(".svg")
    )


def figure_svg(name: str) -> str:
    """The SVG text of the diagram `name`; ValueError lists the known names."""
    names = figure_names()
    if name not in names:
        raise ValueError(f"unknown figure {name!r}; known: {', '.join(names)}")
    return resources.files(__name__).joinpath(f"{name}.svg").read_text("utf-8")


def show_figure(name: str):
    """The diagram `name` as an IPython SVG object; a cell ending with it shows it."""
    from IPython.display import SVG

    return SVG(data=figure_svg(name))


__all__ = [
    "draw_bifpn_graphs",
    "draw_cbam_block",
    "figure_names",
    "figure_svg",
    "show_figure",
]
