"""``python -m ailert`` runs the command line."""

from ailert.cli import main

main()
