"""diplorag: offline semantic search and cited question answering over news articles.

The library API is in ``diplorag.api``; the command line in ``diplorag.cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"
