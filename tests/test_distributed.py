"""Scale-out: the ``n_jobs`` paths on a Dask cluster of worker processes.

joblib hands the work to Dask inside ``joblib.parallel_backend("dask")``; the
results must be bit-identical to a run in this process, since samples and runs
are seeded by their position, never by the worker that takes them.
"""

import logging

import joblib
import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from stdp_lab import SpikingFeatureLearner
from stdp_lab.compare import compare_rules
from stdp_lab.datasets import load_digits

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow  # starts a cluster of two worker processes


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def digits():
    images, y = load_digits()
    return images.reshape(len(images), -1), y


def on_the_cluster(client, function):
    """``function()`` under joblib's Dask backend; also returns the workers
    that ran its tasks (so that a run that silently stayed here fails)."""
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_backend("dask"):
            result = function()
    workers = {task["worker"] for task in stream.data}
    return result, workers


def test_transform_on_worker_processes_is_bit_identical(client, digits):
    X = digits[0][:400]
    model = SpikingFeatureLearner(n_filters=4, n_timesteps=30, random_state=0)
    model.fit(X[:64])
    expected = model.transform(X)
    model.set_params(n_jobs=2)
    got, workers = on_the_cluster(client, lambda: model.transform(X))
    np.testing.assert_array_equal(got, expected)
    assert workers and workers <= set(client.scheduler_info()["workers"])


def test_compare_rules_on_worker_processes_is_bit_identical(client, digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, train_size=120, test_size=80, stratify=y, random_state=0
    )
    args = (["stdp", "oja"], X_train, y_train, X_test, y_test)
    kwargs = dict(seeds=(0, 1), baselines=("random",), n_timesteps=10, n_filters=4)
    here = compare_rules(*args, n_jobs=1, **kwargs)
    there, workers = on_the_cluster(
        client, lambda: compare_rules(*args, n_jobs=2, **kwargs)
    )
    assert len(workers) >= 1
    for a, b in zip(_rows(here), _rows(there), strict=True):
        for key in a:
            if "seconds" not in key:
                np.testing.assert_equal(a[key], b[key], err_msg=key)


def _rows(table):
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)
