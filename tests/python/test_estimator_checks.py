"""scikit-learn's own estimator checks (sklearn.utils.estimator_checks) on SGDLogisticRegression."""
from sklearn.utils.estimator_checks import parametrize_with_checks

from dsgd import SGDLogisticRegression


@parametrize_with_checks([SGDLogisticRegression(), SGDLogisticRegression(workers=2, exchange="sparse")])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
