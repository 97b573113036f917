"""`python -m tutor` runs the `tutor` command."""

from tutor.cli import main

main()
