"""Text helpers shared by the components.

``analyze`` is the one analyser (fold, stop words, word regex, stemmer, numbers, negation,
names) for retrieval, relevance, evidence and verification; ``windows`` picks the best few
sentences of a passage; ``untrusted`` finds instructions planted in documents (withheld whole)
and contact details an answer must not invent; ``safe`` makes document text inert for a
terminal.
"""
