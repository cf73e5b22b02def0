"""The product page's demonstration, run in a sandbox of its own (python -m sandbox.demo)."""
