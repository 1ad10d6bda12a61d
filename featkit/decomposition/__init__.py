"""featkit.decomposition"""
