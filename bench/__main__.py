"""``python -m bench``: run the suppression benchmark (see ``bench/run.py``)."""

from bench.run import main

main()
