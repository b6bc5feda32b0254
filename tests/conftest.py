"""Shared pytest configuration for the compendium's tests."""
