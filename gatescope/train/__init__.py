"""Corpus generation and the NumPy trainer; never imports Qt."""
