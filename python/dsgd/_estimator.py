"""SGDLogisticRegression: a scikit-learn estimator over dsgd's C++ trainer."""
import json
import numbers
import textwrap

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted

from . import _dsgd

# The library's table of configuration fields (src/dsgd/train/config/config_fields.h): the keyword
# arguments that are training options are its fields with a keyword, in its order; each one's
# help, default and check come from it (the C++ side checks the values and names the keyword).
_FIELDS = [f for f in _dsgd.config_fields() if f["keyword"]]


def _value(field, text):
    """The Python value of a field's default written as text."""
    kind = field["type"]
    if kind == "switch":
        return text == "true"
    if kind == "count" or (kind == "steps_or_epoch" and text != "epoch"):
        return int(text)
    if kind == "number":
        return float(text)
    return text


def _default(field):
    """The keyword's default: None where the data decides it, the library's default elsewhere."""
    return None if field["data_default"] else _value(field, field["default"])


def _text(field, value):
    """A keyword's value as the C++ side takes it (floats written exactly); TypeError when its
    type is not the field's."""
    name, kind = field["keyword"], field["type"]
    is_bool = isinstance(value, (bool, np.bool_))
    if kind == "switch":
        if not is_bool:
            raise TypeError(f"{name} must be True or False, got {value!r}")
        return "true" if value else "false"
    if kind == "steps_or_epoch" and isinstance(value, str):
        return value  # "epoch" (anything else is refused by the C++ side, by its rule)
    if kind in ("count", "steps_or_epoch"):
        if is_bool or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be {field['rule']}, got {value!r}")
        return str(int(value))
    if kind == "number":
        if is_bool or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be {field['rule']}, got {value!r}")
        return repr(float(value))
    if not isinstance(value, str):
        raise TypeError(f"{name} must be {field['rule']}, got {value!r}")
    return value


def _types(field):
    kind = field["type"]
    if kind == "choice":
        return "{" + ", ".join(repr(c) for c in field["choices"]) + "}"
    return {"count": "int", "number": "float", "switch": "bool", "steps_or_epoch": 'int or "epoch"'}[kind]


def _parameters_doc():
    """The docstring's Parameters section, written from the table."""
    lines = []
    for f in _FIELDS:
        default = _default(f)
        lines.append(f"    {f['keyword']} : {_types(f)}" + (" or None" if default is None else f", default {default!r}"))
        data_default = repr(_value(f, f["data_default"])) if f["type"] == "switch" else f["data_default"]
        help_text = f["help"] + (f". None: {data_default}" if default is None else "")
        lines.extend("        " + line for line in textwrap.wrap(help_text, 92))
    return "\n".join(lines)


def _as_input(X):
    """X as the C++ side borrows it: a C-contiguous float32/float64 array, used as it is, or a
    canonical CSR matrix's (data, indices, indptr, n_features), whose data and indices are used
    as they are (int32 indices are read as uint32; int64 indptr as uint64). What does not fit
    is converted once: other sparse formats to CSR, unsorted or duplicate columns summed and
    sorted, int64 indices to uint32 (4 bytes a value), int32 indptr to uint64 (8 bytes a row),
    other dtypes or layouts to a C-contiguous float64 array."""
    if sp.issparse(X):
        if X.format != "csr":
            X = X.tocsr()
        if not X.has_canonical_format:
            X = X.copy()
            X.sum_duplicates()
        indices = X.indices.view(np.uint32) if X.indices.dtype == np.int32 else X.indices.astype(np.uint32)
        indptr = X.indptr.view(np.uint64) if X.indptr.dtype == np.int64 else X.indptr.astype(np.uint64)
        data = X.data if X.data.dtype in (np.float32, np.float64) else X.data.astype(np.float64)
        return (np.ascontiguousarray(data), np.ascontiguousarray(indices), np.ascontiguousarray(indptr), X.shape[1])
    return X


def _binary_classes(y):
    """The sorted labels of y and each row's index among them (uint8). Two whole-number labels
    are found in O(n) (min, max and one comparison: a fit of 1M rows spent 120 ms in np.unique
    and type_of_target, as long as its training); anything else goes through scikit-learn's
    checks and np.unique."""
    if y.dtype.kind in "biuf" and y.size:
        low, high = y.min(), y.max()
        if low != high and np.isfinite(low) and np.isfinite(high) and float(low).is_integer() and \
                float(high).is_integer():
            positive = y == high
            if np.count_nonzero(positive | (y == low)) == y.size:
                return np.array([low, high], dtype=y.dtype), positive.view(np.uint8)
    check_classification_targets(y)
    classes, inverse = np.unique(y, return_inverse=True)
    return classes, inverse.astype(np.uint8) if classes.size <= 2 else inverse


class SGDLogisticRegression(ClassifierMixin, BaseEstimator):
    """Binary logistic regression trained by dsgd's synchronous data-parallel SGD (C++, all cores).

    Each step, every worker computes the gradient of its own rows' minibatch, the workers sum
    the gradients, and all apply the same update; the same random_state and number of workers
    give the same weights, bit for bit, as `dsgd train` on the same data and options.

    Parameters left as None take the data's defaults, decided by the library from the data's
    shape (the command line's `dsgd train FILE` decides the same): sgd with 30 shuffled epochs of
    about 128 steps, the rate halved every 5 epochs from a peak of 32 / (mean |x|^2 + 1); adagrad
    on sparse data of 10000 columns or more; standardised features where dense data has values
    beyond [-1, 1], scaled by their largest |x| where sparse data has.

    Parameters
    ----------
{parameters}
    warm_start : bool, default False
        Whether fit goes on from the current coefficients (and their schedule) instead of zeros.

    Attributes
    ----------
    classes_ : ndarray of shape (2,)
        The two labels; classes_[1] is the positive one (probability column 1).
    coef_ : ndarray of shape (1, n_features)
        Weights for raw (unscaled) features.
    intercept_ : ndarray of shape (1,)
    n_features_in_ : int
    n_iter_ : int
        Epochs trained (over every fit, with warm_start).
    n_workers_ : int
        Workers the last fit ran.
    training_ : dict
        The configuration the last fit ran, the data's defaults included.

    Conversions: a C-contiguous float32 or float64 array and a CSR matrix with sorted, unique
    columns are used without a copy; the labels are copied into a byte a row, sample_weight into
    8 bytes a row; other layouts are converted once (see _as_input). Training releases the GIL;
    Ctrl-C stops it at the end of the epoch under way with KeyboardInterrupt, and the estimator
    keeps the state it had before the call.
    """

    def __init__(self, epochs=None, batch_size=None, learning_rate=None, warmup_epochs=1.0, schedule=None,
                 step_epochs=None, step_factor=0.5, fit_intercept=True, l2=0.0, scale=None, shuffle=None,
                 random_state=42, workers=None, exchange="auto", optimizer=None, sync_every=1, overlap=False,
                 warm_start=False):
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.warmup_epochs = warmup_epochs
        self.schedule = schedule
        self.step_epochs = step_epochs
        self.step_factor = step_factor
        self.fit_intercept = fit_intercept
        self.l2 = l2
        self.scale = scale
        self.shuffle = shuffle
        self.random_state = random_state
        self.workers = workers
        self.exchange = exchange
        self.optimizer = optimizer
        self.sync_every = sync_every
        self.overlap = overlap
        self.warm_start = warm_start

    # -- parameters ------------------------------------------------------------------------------
    def _options(self):
        """The options the C++ fit takes: the keywords set (not None), as {field: text}."""
        options = {}
        for field in _FIELDS:
            value = getattr(self, field["keyword"])
            if value is not None:
                options[field["name"]] = _text(field, value)
        if not isinstance(self.warm_start, (bool, np.bool_)):
            raise TypeError(f"warm_start must be True or False, got {self.warm_start!r}")
        return options

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, X, y, sample_weight=None):
        """Trains on X (n_samples, n_features), dense or sparse, and y (n_samples,) of two labels."""
        options = self._options()
        X, y = self._validate_data(X, y, accept_sparse="csr", dtype=[np.float64, np.float32], order="C",
                                   reset=not (self.warm_start and hasattr(self, "coef_")))
        classes, y01 = _binary_classes(y)
        if classes.size != 2:
            raise ValueError(f"y has {classes.size} class{'es' if classes.size != 1 else ''} "
                             f"({', '.join(map(str, classes[:5]))}): dsgd's logistic regression needs exactly 2")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
            if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
                raise ValueError("sample_weight must hold finite numbers of 0 or more")
            sample_weight = np.ascontiguousarray(sample_weight)
        init, start_epoch = None, 0
        if self.warm_start and hasattr(self, "coef_"):
            if not np.array_equal(classes, self.classes_):
                raise ValueError(f"warm_start: y's classes {classes} differ from those fitted, {self.classes_}")
            init, start_epoch = self._model, self.n_iter_
        result = _dsgd.fit(_as_input(X), np.ascontiguousarray(y01), sample_weight, options, init,
                           start_epoch)
        self.classes_ = classes
        self._set_model(result)
        self.n_iter_ = start_epoch + result["epochs"]
        self.n_workers_ = result["workers"]
        self.training_ = json.loads(result["config"])
        return self

    def _set_model(self, model):
        self._model = {key: model[key] for key in ("weights", "bias", "mean", "scale")}
        self.coef_ = np.asarray(model["raw_weights"], dtype=np.float64).reshape(1, -1)  # for raw (unscaled) X
        self.intercept_ = np.array([float(model["raw_bias"])])

    # -- prediction ------------------------------------------------------------------------------
    def _input(self, X):
        check_is_fitted(self, "_model")
        X = self._validate_data(X, accept_sparse="csr", dtype=[np.float64, np.float32], order="C", reset=False)
        return _as_input(X)

    def decision_function(self, X):
        """x . coef_ + intercept_ for every row of X (positive: classes_[1])."""
        return _dsgd.decision_function(self._input(X), self._model)

    def predict_proba(self, X):
        """(n_samples, 2): the probabilities of classes_[0] and classes_[1]."""
        p = _dsgd.predict_proba(self._input(X), self._model)
        return np.column_stack([1.0 - p, p])

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """classes_[1] where the probability of it is above 0.5, classes_[0] elsewhere."""
        positive = self.decision_function(X) > 0  # (first: it checks that the model is fitted)
        return self.classes_[positive.astype(np.intp)]

    # -- model files -----------------------------------------------------------------------------
    def save_model(self, path):
        """Writes the model in the `dsgd` command line's format (read by `dsgd predict`)."""
        check_is_fitted(self, "_model")
        try:
            negative, positive = (float(c) for c in self.classes_)
        except (TypeError, ValueError):
            raise ValueError(f"save_model: the model file holds numeric labels, and classes_ are {self.classes_}")
        training = dict(self.training_, epochs_trained=int(self.n_iter_), best_epoch=int(self.n_iter_),
                        data="python", rows=None)
        _dsgd.save_model(str(path), self._model, negative, positive, json.dumps(training))

    def _more_tags(self):
        return {
            "binary_only": True,
            "_xfail_checks": {
                "check_sample_weights_invariance":
                    "zero sample_weight is not equivalent to removing samples: the rows still take their "
                    "places in the minibatches, as with scikit-learn's SGDClassifier",
            },
        }


SGDLogisticRegression.__doc__ = SGDLogisticRegression.__doc__.replace("{parameters}", _parameters_doc())


def load_model(path):
    """An SGDLogisticRegression fitted from a model file of the `dsgd` command line."""
    m = _dsgd.load_model(str(path))
    clf = SGDLogisticRegression()
    labels = np.array(m["labels"], dtype=np.float64)
    clf.classes_ = labels.astype(np.int64) if np.all(labels == np.round(labels)) else labels
    clf._set_model(m)
    training = json.loads(m["training"])
    clf.n_features_in_ = len(m["weights"])
    clf.n_iter_ = int(training.get("epochs_trained") or training.get("epochs") or 0)
    clf.n_workers_ = int(training.get("workers") or 1)
    clf.training_ = training
    return clf
