"""Text analysis shared by retrieval, relevance, evidence and verification.

``analyze`` is the one analyser (fold, stop words, word regex, stemmer, numbers, negation,
names); ``windows`` picks the best few sentences of a passage.
"""
