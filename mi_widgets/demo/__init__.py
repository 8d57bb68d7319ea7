"""Models for demos and tests that need no download.

``untrained_model()`` (in :mod:`mi_widgets.demo.untrained`) builds a tiny GPT-2 from its config
with seeded random weights and a tokenizer trained offline on CPython's documentation.
"""
