"""The client's version, its own so that it installs without the server.

It moves with ``stoplist.__version__``: both distributions are released
together from this tree.
"""

__version__ = "0.1.0"
