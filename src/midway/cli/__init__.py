"""Command-line interface: one module per verb, errors turned into exit codes in main.py."""
