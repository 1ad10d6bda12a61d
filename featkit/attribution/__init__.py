"""featkit.attribution"""
