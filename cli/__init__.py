"""The featkit command line (console script `featkit`). No maths lives here."""
