"""featkit.evaluation"""
