"""featkit.report"""
