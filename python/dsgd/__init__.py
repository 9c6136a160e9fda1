"""dsgd from Python: binary logistic regression trained by dsgd's C++ data-parallel SGD.

    >>> from dsgd import SGDLogisticRegression
    >>> clf = SGDLogisticRegression().fit(X, y)      # X: NumPy array or SciPy CSR matrix
    >>> clf.predict_proba(X_test)[:, 1]

The estimator follows scikit-learn's conventions (pipelines, grid search, pickling); the model
files it writes and reads (save_model, load_model) are those of the `dsgd` command line.
"""
from ._dsgd import __version__
from ._estimator import SGDLogisticRegression, load_model

__all__ = ["SGDLogisticRegression", "load_model", "__version__"]
