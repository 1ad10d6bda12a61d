"""Data files of featkit's example tables; provenance and licences in README.md."""
