"""SGDLogisticRegression: the same bits as the command line, no copies, errors, model files,
warm starts, interrupts, scikit-learn's pipelines and searches."""
import os
import pickle
import signal
import subprocess
import threading
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import dsgd
from dsgd import SGDLogisticRegression
from conftest import make_data, write_csv, write_libsvm


def weights(clf):
    return clf._model["weights"], clf._model["bias"]


# -- the same bits as `dsgd train` -----------------------------------------------------------------
@pytest.mark.parametrize("workers", [1, 2, None])
def test_fit_gives_the_cli_weights_bit_for_bit(tmp_path, cli, workers):
    X, y = make_data()
    write_csv(tmp_path / "train.csv", X, y)
    args = [cli, "train", str(tmp_path / "train.csv"), "-o", str(tmp_path / "m.model"), "--quiet"]
    if workers is not None:
        args += ["--workers", str(workers)]
    subprocess.run(args, check=True, capture_output=True)
    from_cli = dsgd.load_model(tmp_path / "m.model")
    clf = SGDLogisticRegression(workers=workers).fit(X, y)
    w, b = weights(clf)
    cw, cb = weights(from_cli)
    assert np.array_equal(w, cw) and b == cb
    assert np.array_equal(clf._model["scale"], from_cli._model["scale"])  # the defaults standardised both
    assert clf.n_workers_ == from_cli.n_workers_


def test_sparse_fit_gives_the_cli_weights_bit_for_bit(tmp_path, cli):
    # 20000 columns: the data's defaults take adagrad and a maxabs scaling, on the CLI and here.
    rng = np.random.default_rng(3)
    X = sp.random(4000, 20000, density=0.002, format="csr", random_state=3) * 5.0
    y = (X @ rng.normal(size=20000) > 0).astype(int)
    write_libsvm(tmp_path / "train.svm", X, y)
    subprocess.run([cli, "train", str(tmp_path / "train.svm"), "--features", "20000", "--workers", "2",
                    "--model", str(tmp_path / "m.model"), "--quiet"], check=True, capture_output=True)
    from_cli = dsgd.load_model(tmp_path / "m.model")
    clf = SGDLogisticRegression(workers=2).fit(X, np.where(y == 1, 1, -1))
    assert clf.training_["optimizer"] == "adagrad" and clf.training_["scale"] == "maxabs"
    assert np.array_equal(weights(clf)[0], weights(from_cli)[0]) and weights(clf)[1] == weights(from_cli)[1]


def test_options_reach_the_trainer(tmp_path, cli):
    X, y = make_data(rows=2000)
    write_csv(tmp_path / "train.csv", X, y)
    subprocess.run([cli, "train", str(tmp_path / "train.csv"), "--workers", "2", "--epochs", "4", "--batch", "32",
                    "--lr", "0.05", "--sync-every", "4", "--scale", "maxabs", "--no-shuffle", "--model",
                    str(tmp_path / "m.model"), "--quiet"], check=True, capture_output=True)
    clf = SGDLogisticRegression(workers=2, epochs=4, batch_size=32, learning_rate=0.05, sync_every=4, scale="maxabs",
                                shuffle=False).fit(X, y)
    assert clf.n_iter_ == 4 and clf.training_["sync_every"] == 4 and clf.training_["batch"] == 32
    assert np.array_equal(weights(clf)[0], weights(dsgd.load_model(tmp_path / "m.model"))[0])
    other = SGDLogisticRegression(workers=2, epochs=4, batch_size=32, learning_rate=0.05, scale="maxabs",
                                  shuffle=False).fit(X, y)
    assert not np.array_equal(weights(clf)[0], weights(other)[0])  # sync_every changed the run


def test_csr_and_dense_give_the_same_model():
    X, y = make_data(sparsity=0.6)
    for scale in ("none", "maxabs", "standardize"):
        dense = SGDLogisticRegression(workers=2, scale=scale).fit(X, y)
        csr = SGDLogisticRegression(workers=2, scale=scale).fit(sp.csr_matrix(X), y)
        # The same steps; the dense kernel's vectorised sums add in another order than the sparse one.
        np.testing.assert_allclose(csr.coef_, dense.coef_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(csr.intercept_, dense.intercept_, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(csr.predict(X), dense.predict(X))


def test_float32_trains_on_float32():
    X, y = make_data()
    clf32 = SGDLogisticRegression(workers=1).fit(X.astype(np.float32), y)
    clf64 = SGDLogisticRegression(workers=1).fit(X, y)
    assert not np.array_equal(clf32.coef_, clf64.coef_)  # the f32 values, not a converted copy
    np.testing.assert_allclose(clf32.coef_, clf64.coef_, rtol=1e-3, atol=1e-3)


def test_unit_sample_weights_change_no_bit():
    X, y = make_data()
    plain = SGDLogisticRegression(workers=2).fit(X, y)
    ones = SGDLogisticRegression(workers=2).fit(X, y, sample_weight=np.ones(len(y)))
    twice = SGDLogisticRegression(workers=2).fit(X, y, sample_weight=np.where(y == 1, 2.0, 1.0))
    assert np.array_equal(plain.coef_, ones.coef_)
    assert not np.array_equal(plain.coef_, twice.coef_)
    assert twice.predict_proba(X)[:, 1].mean() > plain.predict_proba(X)[:, 1].mean()


# -- no copies -------------------------------------------------------------------------------------
def traced_peak(fn):
    """The most memory NumPy (and Python) allocated while fn ran, in bytes."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fit_does_not_copy_the_array():
    X, y = make_data(rows=200_000, features=64)  # 102 MB of float64 (the labels' handling takes about 8 MB)
    clf = SGDLogisticRegression(epochs=1)
    copied_f = traced_peak(lambda: SGDLogisticRegression(epochs=1).fit(np.asfortranarray(X), y))
    assert copied_f > X.nbytes  # the measure sees a copy where there is one ...
    assert traced_peak(lambda: clf.fit(X, y)) < X.nbytes / 4  # ... and there is none of X here (labels: 1/8)
    x32 = X.astype(np.float32)
    assert traced_peak(lambda: clf.fit(x32, y)) < x32.nbytes / 2


def test_fit_does_not_copy_a_csr_matrix():
    X, y = make_data(rows=200_000, features=64, sparsity=0.5)
    csr = sp.csr_matrix(X)
    csr.indptr = csr.indptr.astype(np.int64)  # int64 indptr is read as uint64 in place; int32 indices as uint32
    assert csr.has_canonical_format
    peak = traced_peak(lambda: SGDLogisticRegression(epochs=1).fit(csr, y))
    assert peak < (csr.data.nbytes + csr.indices.nbytes) / 4


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, error, words", [
    ({"batch_size": 0}, ValueError, r"^batch_size: must be a whole number of at least 1, got 0$"),
    ({"batch_size": 2.5}, TypeError, r"^batch_size must be a whole number of at least 1, got 2.5$"),
    ({"learning_rate": -1.0}, ValueError, r"^learning_rate: must be a number greater than 0, got -1$"),
    ({"learning_rate": float("nan")}, ValueError, r"^learning_rate: expected a number, got 'nan'$"),
    ({"step_factor": 2}, ValueError, r"^step_factor: must be a number in \(0, 1\], got 2$"),
    ({"scale": "z"}, ValueError, r"^scale: expected one of none, maxabs, standardize, got 'z'$"),
    ({"scale": 1}, TypeError, "scale must be one of none, maxabs, standardize"),
    ({"fit_intercept": "yes"}, TypeError, "fit_intercept must be True or False"),
    ({"overlap": True, "sync_every": 4}, ValueError, "^overlap hides each step's exchange; with sync_every 4"),
    ({"sync_every": "sometimes"}, ValueError, "sync_every: expected a positive number of steps or 'epoch'"),
    ({"sync_every": 0}, ValueError, "sync_every: expected a positive number of steps or 'epoch', got '0'"),
    ({"workers": 5000}, ValueError, r"^workers: must be a whole number in \[1, 4096\], got 5000$"),
    ({"learning_rate": 1e308, "workers": 2}, ValueError, r"^learning_rate x workers must stay a finite number"),
])
def test_bad_parameters_raise_with_the_parameter_named(params, error, words):
    X, y = make_data(rows=200)
    with pytest.raises(error, match=words):
        SGDLogisticRegression(**params).fit(X, y)


def test_the_parameters_are_the_librarys_configuration_fields():
    """The estimator's keyword arguments are the table's (src/dsgd/train/config/config_fields.h), in its
    order, each defaulting to the library's default or, where the data decides it, to None."""
    import inspect
    from dsgd import _dsgd
    fields = [f for f in _dsgd.config_fields() if f["keyword"]]
    signature = inspect.signature(SGDLogisticRegression.__init__).parameters
    assert list(signature)[1:] == [f["keyword"] for f in fields] + ["warm_start"]
    expected = {"epochs": None, "batch_size": None, "learning_rate": None, "warmup_epochs": 1.0, "schedule": None,
                "step_epochs": None, "step_factor": 0.5, "fit_intercept": True, "l2": 0.0, "scale": None,
                "shuffle": None, "random_state": 42, "workers": None, "exchange": "auto", "optimizer": None,
                "sync_every": 1, "overlap": False}
    for f in fields:
        default = signature[f["keyword"]].default
        assert default == expected[f["keyword"]] and type(default) is type(expected[f["keyword"]]), f["keyword"]
        assert (default is None) == bool(f["data_default"]), f["keyword"]
        assert f"    {f['keyword']} : " in SGDLogisticRegression.__doc__  # the docs are the table's too
    # Every keyword reaches its field: the configuration the fit ran holds the value given.
    X, y = make_data(rows=400)
    given = {"epochs": 3, "batch_size": 17, "learning_rate": 0.3, "warmup_epochs": 0.5, "schedule": "inverse-sqrt",
             "step_epochs": 3.0, "step_factor": 0.25, "fit_intercept": False, "l2": 1e-4, "scale": "maxabs",
             "shuffle": False, "random_state": 7, "workers": 2, "exchange": "dense", "optimizer": "adagrad",
             "sync_every": 2, "overlap": False}
    assert set(given) == set(expected)
    training = SGDLogisticRegression(**given).fit(X, y).training_
    for f in fields:
        assert training[f["name"]] == given[f["keyword"]], f["keyword"]


def test_bad_data_raises():
    X, y = make_data(rows=200)
    with pytest.raises(ValueError, match="exactly 2"):
        SGDLogisticRegression().fit(X, np.arange(200) % 3)
    with pytest.raises(ValueError, match="NaN"):
        SGDLogisticRegression().fit(np.where(X > 2, np.nan, X), y)
    clf = SGDLogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="sample_weight"):
        SGDLogisticRegression().fit(X, y, sample_weight=-np.ones(200))


def test_a_rate_that_diverges_raises_value_error():
    X, y = make_data(rows=500)
    with pytest.raises(ValueError, match="not finite"):  # a batch's gradient sum overflows
        SGDLogisticRegression(scale="none", learning_rate=1.0).fit(np.sign(X) * 1e308, y)


def test_an_unreadable_model_raises_os_error(tmp_path):
    (tmp_path / "bad.model").write_text("not a model\n")
    with pytest.raises(OSError, match="bad.model:1"):
        dsgd.load_model(tmp_path / "bad.model")


# -- model files both ways -------------------------------------------------------------------------
def test_a_python_model_is_read_by_dsgd_predict(tmp_path, cli):
    X, y = make_data()
    clf = SGDLogisticRegression().fit(X, np.where(y == 1, 1, -1))
    clf.save_model(tmp_path / "py.model")
    write_csv(tmp_path / "x.csv", X, y)
    out = subprocess.run([cli, "predict", str(tmp_path / "x.csv"), "--model", str(tmp_path / "py.model")],
                         check=True, capture_output=True, text=True).stdout
    assert np.array_equal(np.array(out.split(), dtype=np.float64), clf.predict_proba(X)[:, 1])
    labels = subprocess.run([cli, "predict", str(tmp_path / "x.csv"), "--model", str(tmp_path / "py.model"),
                             "--labels"], check=True, capture_output=True, text=True).stdout
    assert np.array_equal(np.array(labels.split(), dtype=np.int64), clf.predict(X))


def test_a_cli_model_predicts_in_python_as_in_dsgd_predict(tmp_path, cli):
    X, y = make_data()
    write_csv(tmp_path / "train.csv", X, y)
    subprocess.run([cli, "train", str(tmp_path / "train.csv"), "-o", str(tmp_path / "m.model"), "--quiet"],
                   check=True, capture_output=True)
    out = subprocess.run([cli, "predict", str(tmp_path / "train.csv"), "--model", str(tmp_path / "m.model")],
                         check=True, capture_output=True, text=True).stdout
    clf = dsgd.load_model(tmp_path / "m.model")
    assert list(clf.classes_) == [0, 1] and clf.n_features_in_ == X.shape[1]
    assert np.array_equal(np.array(out.split(), dtype=np.float64), clf.predict_proba(X)[:, 1])


def test_string_labels_cannot_be_saved(tmp_path):
    X, y = make_data(rows=300)
    clf = SGDLogisticRegression().fit(X, np.where(y == 1, "spam", "ham"))
    assert list(clf.classes_) == ["ham", "spam"] and set(clf.predict(X)) <= {"ham", "spam"}
    with pytest.raises(ValueError, match="numeric labels"):
        clf.save_model(tmp_path / "m.model")
    assert not (tmp_path / "m.model").exists()


# -- warm starts, pickles, interrupts -------------------------------------------------------------
def test_warm_start_goes_on_with_the_schedule():
    X, y = make_data()
    whole = SGDLogisticRegression(workers=2, epochs=10).fit(X, y)
    halves = SGDLogisticRegression(workers=2, epochs=5, warm_start=True).fit(X, y)
    assert not np.array_equal(halves.coef_, whole.coef_)
    halves.fit(X, y)
    assert halves.n_iter_ == 10
    assert np.array_equal(weights(halves)[0], weights(whole)[0]) and weights(halves)[1] == weights(whole)[1]
    cold = SGDLogisticRegression(workers=2, epochs=5).fit(X, y)
    assert np.array_equal(cold.fit(X, y).coef_, SGDLogisticRegression(workers=2, epochs=5).fit(X, y).coef_)


def test_pickle_round_trip():
    X, y = make_data()
    clf = SGDLogisticRegression().fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X)) and back.get_params() == clf.get_params()


def test_ctrl_c_stops_a_fit_with_keyboard_interrupt():
    X, y = make_data(rows=100_000, features=32)
    clf = SGDLogisticRegression(epochs=100_000)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    timer.join()
    assert not hasattr(clf, "coef_")  # nothing half-fitted
    assert SGDLogisticRegression(epochs=1).fit(X, y).score(X, y) > 0.8  # and the next fit runs


# -- scikit-learn's tools --------------------------------------------------------------------------
def test_pipeline_and_grid_search():
    X, y = make_data(rows=1500)
    pipe = make_pipeline(StandardScaler(), SGDLogisticRegression(workers=1))
    assert pipe.fit(X, y).score(X, y) > 0.9
    search = GridSearchCV(SGDLogisticRegression(), {"l2": [0.0, 1e-2], "sync_every": [1, 4]}, cv=3).fit(X, y)
    assert search.best_score_ > 0.9 and set(search.best_params_) == {"l2", "sync_every"}
