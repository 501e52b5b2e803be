namespace Letter.Tokenization;

/// <summary>
/// The exact size-bounded assignment: every point to one cluster, cluster sizes within
/// [sizeMin, sizeMax], total distance minimal. This is the min-cost flow that the k-means-constrained
/// package (which the original LETTER calls) hands to OR-Tools, solved here by successive shortest
/// paths one point at a time (as the Jonker-Volgenant assignment does rows): each new point follows
/// the cheapest chain "the point joins cluster a, one of a's members moves on to cluster b, ..." that
/// ends in a cluster with room. A cluster's first sizeMin places carry a bonus -B larger than any
/// chain of distances, so the lower bounds are met whenever the bounds allow it.
/// <para>
/// The chains run on a graph of clusters only: moving a member j of a to b costs d(j,b) - d(j,a), so
/// the arc a -> b costs the smallest such difference over a's members (kept up to date as members
/// come and go). Dijkstra on reduced costs with cluster potentials, O(k^2) per point at worst and
/// O(k) when the point's cheapest cluster has room. Deterministic (ties by index).
/// </para>
/// </summary>
public static class MinCostAssignment
{
    /// <param name="dist">squared distances [n, k], row-major (negative rounding noise counts as 0)</param>
    public static int[] Solve(float[] dist, int n, int k, int sizeMin, int sizeMax)
    {
        if ((long)k * sizeMax < n || (long)k * sizeMin > n)
            throw new ArgumentException($"cannot put {n} points into {k} clusters of {sizeMin} to {sizeMax}");
        return new Solver(dist, n, k, sizeMin, sizeMax).Run();
    }

    /// <summary>Sum of the chosen distances (negative rounding noise as 0).</summary>
    public static double Cost(float[] dist, int k, int[] labels)
    {
        double s = 0;
        for (int i = 0; i < labels.Length; i++) s += Math.Max(0f, dist[i * k + labels[i]]);
        return s;
    }

    private sealed class Solver
    {
        private readonly float[] _dist;
        private readonly int _n, _k, _min, _max;
        private readonly double _bonus;
        private readonly double[] _potential;  // per cluster
        private double _sinkPotential;
        private readonly int[] _label;
        private readonly List<int>[] _members;
        private readonly int[] _slot;          // position of a point in its cluster's member list
        private readonly double[] _move;       // [a, b]: min over members j of a of d(j,b) - d(j,a)
        private readonly int[] _mover;         // [a, b]: that member (-1: a has none)
        // Dijkstra state over the clusters
        private readonly double[] _best;
        private readonly int[] _fromCluster, _fromPoint;
        private readonly bool[] _settled;

        public Solver(float[] dist, int n, int k, int sizeMin, int sizeMax)
        {
            _dist = dist;
            _n = n;
            _k = k;
            _min = sizeMin;
            _max = sizeMax;
            double largest = 0;
            for (int i = 0; i < n * k; i++) largest = Math.Max(largest, dist[i]);
            // A simple chain visits each cluster once: fewer than 2k + 2 distances of either sign.
            _bonus = (2.0 * k + 2) * largest + 1;
            _potential = new double[k];
            _sinkPotential = -_bonus; // every first arc into the sink then has reduced cost 0 or more
            _label = Enumerable.Repeat(-1, n).ToArray();
            _members = Enumerable.Range(0, k).Select(_ => new List<int>()).ToArray();
            _slot = new int[n];
            _move = Enumerable.Repeat(double.PositiveInfinity, k * k).ToArray();
            _mover = Enumerable.Repeat(-1, k * k).ToArray();
            _best = new double[k];
            _fromCluster = new int[k];
            _fromPoint = new int[k];
            _settled = new bool[k];
        }

        private double D(int point, int cluster) => Math.Max(0f, _dist[point * _k + cluster]);

        /// <summary>Cost of a cluster's next place when it holds <paramref name="count"/>: the bonus for the first sizeMin.</summary>
        private double PlaceCost(int count) => count < _min ? -_bonus : 0;

        public int[] Run()
        {
            foreach (int i in InsertionOrder()) Insert(i);
            return _label;
        }

        /// <summary>
        /// Any order gives the optimum; this one keeps chains short. The greedy assignment already
        /// meets the bounds, so its members are inserted round-robin over clusters, nearest first:
        /// the first sizeMin rounds tend to fill each cluster's lower bound directly.
        /// </summary>
        private IEnumerable<int> InsertionOrder()
        {
            var greedy = SizeConstrainedKMeans.AssignBounded(_dist, _n, _k, _min, _max);
            var byCluster = Enumerable.Range(0, _k).Select(_ => new List<int>()).ToArray();
            for (int i = 0; i < _n; i++) byCluster[greedy[i]].Add(i);
            for (int c = 0; c < _k; c++)
                byCluster[c].Sort((a, b) => D(a, c).CompareTo(D(b, c)) is var o && o != 0 ? o : a.CompareTo(b));
            for (int round = 0; ; round++)
            {
                bool any = false;
                foreach (var list in byCluster)
                {
                    if (round >= list.Count) continue;
                    any = true;
                    yield return list[round];
                }
                if (!any) yield break;
            }
        }

        private void Insert(int point)
        {
            // The new point's potential: the largest that keeps all its arcs non-negative.
            double own = double.NegativeInfinity;
            for (int c = 0; c < _k; c++) own = Math.Max(own, _potential[c] - D(point, c));
            for (int c = 0; c < _k; c++)
            {
                _best[c] = Math.Max(0, D(point, c) + own - _potential[c]);
                _fromCluster[c] = -1;
                _fromPoint[c] = point;
                _settled[c] = false;
            }
            double sink = double.PositiveInfinity;
            int sinkFrom = -1;
            while (true)
            {
                int a = -1;
                for (int c = 0; c < _k; c++)
                    if (!_settled[c] && (a < 0 || _best[c] < _best[a])) a = c;
                if (a < 0 || sink <= _best[a]) break; // the sink is the nearest unsettled node
                _settled[a] = true;
                double at = _best[a];
                int count = _members[a].Count;
                if (count < _max)
                {
                    double viaA = Math.Max(at, at + PlaceCost(count) + _potential[a] - _sinkPotential);
                    if (viaA < sink) { sink = viaA; sinkFrom = a; }
                }
                int row = a * _k;
                for (int b = 0; b < _k; b++)
                {
                    if (_settled[b] || _mover[row + b] < 0) continue;
                    // Reduced costs are >= 0 up to rounding; clamp so rounding cannot reorder settled clusters.
                    double value = Math.Max(at, at + _move[row + b] + _potential[a] - _potential[b]);
                    if (value < _best[b])
                    {
                        _best[b] = value;
                        _fromCluster[b] = a;
                        _fromPoint[b] = _mover[row + b];
                    }
                }
            }
            if (sinkFrom < 0) throw new InvalidOperationException("no augmenting chain: the size bounds cannot be met");

            // Settled clusters' potentials move by (distance - sink); the others keep theirs.
            for (int c = 0; c < _k; c++)
                if (_settled[c]) _potential[c] += _best[c] - sink;
            Augment(sinkFrom);
        }

        /// <summary>Walks the chain back from its last cluster: each point on it joins the cluster after it.</summary>
        private void Augment(int last)
        {
            int cluster = last;
            while (true)
            {
                int point = _fromPoint[cluster], from = _fromCluster[cluster];
                if (from >= 0) Remove(point, from);
                Add(point, cluster);
                if (from < 0) return;
                cluster = from;
            }
        }

        private void Add(int point, int cluster)
        {
            _label[point] = cluster;
            _slot[point] = _members[cluster].Count;
            _members[cluster].Add(point);
            int row = cluster * _k;
            double here = D(point, cluster);
            for (int b = 0; b < _k; b++)
                if (b != cluster) Offer(row + b, point, D(point, b) - here);
        }

        /// <summary>A member as the cheapest mover of an arc, if it is (ties to the lower index).</summary>
        private void Offer(int arc, int point, double cost)
        {
            int current = _mover[arc];
            if (current < 0 || cost < _move[arc] || (cost == _move[arc] && point < current))
            {
                _move[arc] = cost;
                _mover[arc] = point;
            }
        }

        private void Remove(int point, int cluster)
        {
            var list = _members[cluster];
            int at = _slot[point], last = list[^1];
            list[at] = last;
            _slot[last] = at;
            list.RemoveAt(list.Count - 1);
            int row = cluster * _k;
            for (int b = 0; b < _k; b++)
            {
                if (_mover[row + b] != point) continue;
                _move[row + b] = double.PositiveInfinity;
                _mover[row + b] = -1;
                foreach (int j in list) Offer(row + b, j, D(j, b) - D(j, cluster));
            }
        }
    }
}
