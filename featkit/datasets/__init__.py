"""featkit.datasets"""
