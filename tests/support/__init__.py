"""Test and benchmark scaffolding (synthetic records and reviews, sample report inputs): not
shipped in the package.
"""
