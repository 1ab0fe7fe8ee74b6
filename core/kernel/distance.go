package kernel

import "math"

// DefaultLambda is the weight of the skip distance when Config.Lambda is
// zero, the paper's setting.
const DefaultLambda = 1.0

// Distance returns d(a, b) = D_l + lambda*D_s (equation 3). Cost
// O(la*lb + s^3) for la, lb width layers and s skips.
func Distance(a, b Arch, lambda float64) float64 {
	var w work
	return w.distance(a, b, lambda)
}

func (w *work) distance(a, b Arch, lambda float64) float64 {
	return w.layers(a.Widths, b.Widths) + lambda*w.skips(a.Skips, b.Skips)
}

// LayerDistance returns D_l, the minimum edit distance between two width
// sequences (equations 4 to 6): a deletion or insertion costs 1, a match
// costs WidthDistance. Equation (6) is taken with min, not the paper's
// max. Cost O(len(a)*len(b)) time and O(len(b)) memory.
func LayerDistance(a, b []int) float64 {
	var w work
	return w.layers(a, b)
}

func (w *work) layers(a, b []int) float64 {
	// Equal layers at either end match at no cost in some optimal edit:
	// moving any other alignment of a[0] and b[0] to matching them never
	// costs more (insertions and deletions cost 1, matches at least 0).
	// Trimming them leaves the DP only the part where the two differ,
	// which for a candidate and its relatives is short.
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}

	// row[j] holds A[i][j]; row[0] = i is the cost of deleting i layers.
	row := grow(w.dp, len(b)+1)
	w.dp = row
	for j := range row {
		row[j] = float64(j)
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0] // A[i-1][j-1]
		row[0] = float64(i)
		for j := 1; j <= len(b); j++ {
			up := row[j] // A[i-1][j]
			v := min(up+1, row[j-1]+1, diag+WidthDistance(a[i-1], b[j-1]))
			diag, row[j] = up, v
		}
	}
	return row[len(b)]
}

// WidthDistance is d_l of equation (5), |wa - wb| / max(wa, wb), for
// positive widths; it lies in [0, 1).
func WidthDistance(wa, wb int) float64 {
	if wa == wb {
		return 0
	}
	return math.Abs(float64(wa-wb)) / float64(max(wa, wb))
}

// SkipDistance returns D_s (equation 7): the cost of an optimal assignment
// of the smaller skip set into the larger under SkipPairDistance, plus 1 for
// each skip of the larger set left unmatched. Cost O(s^3).
func SkipDistance(a, b []Skip) float64 {
	var w work
	return w.skips(a, b)
}

func (w *work) skips(a, b []Skip) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	extra := float64(len(b) - len(a))
	switch len(a) {
	case 0:
		return extra
	case 1:
		best := 1.0
		for _, s := range b {
			best = min(best, SkipPairDistance(a[0], s))
		}
		return best + extra
	}
	n, m := len(a), len(b)
	cost := grow(w.cost, n*m)
	w.cost = cost
	for i := range a {
		for j := range b {
			cost[i*m+j] = SkipPairDistance(a[i], b[j])
		}
	}
	return w.assign(cost, n, m) + extra
}

// SkipPairDistance is d_s of equation (8) between two skips of the same
// kind, (|ua - ub| + |da - db|) / (max(ua, ub) + max(da, db)), and 0 when
// both are (0, 0). Skips of different kinds (an add and a concat) are at 1,
// the largest value equation (8) can take: no pair of an add and a concat
// ever matches more cheaply than the most distant pair of one kind.
func SkipPairDistance(a, b Skip) float64 {
	if a.Concat != b.Concat {
		return 1
	}
	num := math.Abs(float64(a.U-b.U)) + math.Abs(float64(a.Delta-b.Delta))
	if num == 0 {
		return 0
	}
	return num / float64(max(a.U, b.U)+max(a.Delta, b.Delta))
}

// Matrix returns the symmetric matrix of distances between archs, with
// zeros on the diagonal. Cost n(n-1)/2 distances.
func Matrix(archs []Arch, lambda float64) [][]float64 {
	n := len(archs)
	d := make([][]float64, n)
	flat := make([]float64, n*n)
	for i := range d {
		d[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	var w work
	for i := range n {
		for j := range i {
			v := w.distance(archs[i], archs[j], lambda)
			d[i][j], d[j][i] = v, v
		}
	}
	return d
}
