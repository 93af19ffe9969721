"""Translation of spoken lines for releases in other languages (出海): one master, every market.

``glossary`` keeps character and place names spelt the same in every line and episode; ``fit``
wraps a translation to subtitle lines; ``marian`` is the machine-translation backend (Marian /
opus-mt through transformers, ``from_pretrained``, offline-capable; ``tiny:marian`` for tests);
``local`` is the offline profile's backend, which says which languages it cannot make and why.
"""
