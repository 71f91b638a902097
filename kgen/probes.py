"""Linear probes: logistic regression on frozen representations (codes, PCA, raw pixels)."""

import numpy as np


def encode_arrays(encode, x, batch_size=256):
    """Apply an embedding function batch by batch and return a 2-D numpy array.

    Args:
        encode: a function `batch -> codes` (e.g. `model.encode`).
        x: array `(N, ...)`.

    Returns:
        `(N, D)` float32 features (flattened).
    """
    out = [np.asarray(encode(np.asarray(x[i:i + batch_size], np.float32)))
           for i in range(0, len(x), batch_size)]
    feats = np.concatenate(out)
    return feats.reshape(len(feats), -1).astype(np.float32)


def linear_probe(train_features, train_labels, test_features, test_labels, c=1.0, max_iter=2000,
                 standardize=True):
    """Test accuracy of a logistic-regression probe trained on frozen features.

    Args:
        train_features, test_features: `(N, D)` arrays.
        train_labels, test_labels: int labels.
        c: inverse L2 strength of scikit-learn's `LogisticRegression`.
        max_iter: solver iterations.
        standardize: z-score features with the training statistics first.

    Returns:
        Accuracy in [0, 1].

    Example:
        >>> acc = linear_probe(encode_arrays(ae.encode, x_tr), y_tr, encode_arrays(ae.encode, x_te), y_te)
    """
    from sklearn.linear_model import LogisticRegression

    xtr = np.asarray(train_features, np.float64).reshape(len(train_features), -1)
    xte = np.asarray(test_features, np.float64).reshape(len(test_features), -1)
    if standardize:
        mu, sd = xtr.mean(0), xtr.std(0) + 1e-8
        xtr, xte = (xtr - mu) / sd, (xte - mu) / sd
    clf = LogisticRegression(C=c, max_iter=max_iter)
    clf.fit(xtr, np.asarray(train_labels))
    return float(clf.score(xte, np.asarray(test_labels)))
