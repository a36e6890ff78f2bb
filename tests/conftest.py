import os

import hypothesis
import pytest

# The fixture generators are scripts that need openpyxl, not modules with doctests: --doctest-modules would import
# them, and a plain `pytest` without openpyxl failed at collection. The tests that run them import them when asked.
collect_ignore_glob = ["fixtures/make_*.py"]

hypothesis.settings.register_profile("ci", max_examples=200, deadline=None)
hypothesis.settings.register_profile("dev", max_examples=60, deadline=None)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def default_run():
    """`micrograd-lite train`'s default run (about 4 s): the docs quote its accuracy, the browser opens its page."""
    from micrograd_lite.training import TrainConfig, train

    return train(TrainConfig())
