# Generated from the book's notebooks by tools/export_package.py: do not edit.
# Change the '#| export' cells of
#   notebooks/02_squeeze_excitation.ipynb
#   notebooks/03_efficient_channel_attention.ipynb
#   notebooks/04_cbam.ipynb
#   notebooks/05_dual_pooling.ipynb
#   notebooks/06_coordinate_attention.ipynb
#   notebooks/07_bifpn.ipynb
# then run `make export`.
"""The seeds' and the papers' original code, transcribed for the book to run.

Not part of the package's API: import the module you need; each imports its
own framework.
"""
