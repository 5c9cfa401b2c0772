"""Fixtures shared by every test folder: the live Mettl emulator and the real provider pointed at it; `pytester`
for the sandbox's own pytest plugin (`mettl_sandbox`, `questionmark_sandbox`: loaded from its entry point)."""

pytest_plugins = ["tests.mettl.fixtures", "pytester"]
pytest_plugins += ["tests.clocks"]
