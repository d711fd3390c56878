"""Settings every test session of the repository shares (core, each plugin, the examples)."""

from hypothesis import settings

# No per-example deadline: it measures wall time, and the properties are about behaviour, not
# speed — on a loaded CI machine a slow example is not a failing one.
settings.register_profile("halo", deadline=None)
settings.load_profile("halo")
