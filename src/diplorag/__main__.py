"""``python -m diplorag``: the command line, as ``diplorag`` runs it."""

from diplorag.cli import main

main()
