"""``diplorag serve``: one warm process that holds the indexes, the embedder and the model.

    client ──HTTP JSON / server-sent events──▶ app ──▶ warm ──▶ api.Session

``app`` is the HTTP API (FastAPI on uvicorn); ``warm`` keeps one session per index and the one
language model, and decides which thread may use them; ``client`` is what ``search``, ``ask``
and ``chat`` use to reach a running server, falling back to in-process work when none answers.

Importing this package is free; ``client`` imports only the standard library, ``app`` and
``warm`` the server's dependencies.
"""

from __future__ import annotations
