"""Prefect flows that compose textmine's library functions."""
