"""featkit.stats"""
