"""Fixtures shared by every test folder: the live Mettl emulator and the real provider pointed at it."""

pytest_plugins = ["tests.mettl.fixtures"]
