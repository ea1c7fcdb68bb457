"""Test-suite options: ``pytest --engine numpy`` runs every test whose engine is
"auto" on the numpy engine (the reference), ``--engine numba`` on the compiled
one (a layer without a compiled form is then an error)."""

import pytest

import stdp_lab


def pytest_addoption(parser):
    parser.addoption(
        "--engine",
        choices=stdp_lab.ENGINES,
        default="auto",
        help="what engine='auto' means for the whole run (stdp_lab.set_config)",
    )


@pytest.fixture(autouse=True)
def _engine_option(request):
    with stdp_lab.config_context(engine=request.config.getoption("--engine")):
        yield
