"""The seeds' and the papers' original code, transcribed for the book to run.

Not part of the package's API: import the module you need; each imports its
own framework.
"""
