"""Fixtures shared by every test folder: the live Mettl emulator and the real provider pointed at it; `pytester`
for the sandbox's own pytest plugin (`mettl_sandbox`, `questionmark_sandbox`: loaded from its entry point)."""

pytest_plugins = ["tests.mettl.fixtures", "pytester"]
pytest_plugins += ["tests.clocks"]

# The tests point real clients at emulators on loopback: opt those hosts in, as an operator's environment
# would (reconciler.trust; the repository itself cannot). A test of the refusal removes it.
import os  # noqa: E402

os.environ.setdefault("RECONCILER_ALLOWED_BASE_URLS", "http://127.0.0.1:,http://localhost:")
