"""Stand-in for scikit-learn: the original's models/layers.py imports sklearn.cluster.KMeans at module level
but only its unused kmeans() helper calls it."""
