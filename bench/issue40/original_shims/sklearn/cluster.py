class KMeans:
    """Not used by the original tokenizer's training or generate_indices.py (their k-means is KMeansConstrained)."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("sklearn.cluster.KMeans is a stand-in here: the original's layers.kmeans() is not on the paths run by bench/issue40")
