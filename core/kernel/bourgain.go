package kernel

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
)

// Embedding is a Bourgain embedding of n points of a metric space into R^k
// (Bourgain 1985; Theorem 2 of the paper). With L = floor(log2 n) + 1, it
// draws 2L anchor subsets at each level i = 1..L, each point joining a
// subset of level i with probability 2^-i (an empty draw is replaced by one
// point chosen uniformly), so k = 2L^2 = O(log^2 n). The coordinate of a
// point on a subset is its distance to the subset's nearest member; each
// coordinate is 1-Lipschitz, so the plain Euclidean distance between
// embedded points is at most sqrt(k) times the original distance.
//
// Scale: Rho multiplies the Euclidean distance by Scale, chosen once from
// the n points so that the squared embedded distances sum, over all pairs,
// to the sum of the squared original distances: the embedding keeps the
// distances' overall size, and exp(-rho^2) keeps the length scale of the
// edit distance (two architectures one edit apart correlate about e^-1).
// When all n points coincide, Scale is 1/sqrt(k), which makes rho at most
// the original distance. Any positive scale keeps rho Euclidean and
// exp(-rho^2) positive semidefinite.
//
// An Embedding is immutable after Embed and safe for concurrent use.
type Embedding struct {
	anchors [][]int     // anchor subsets, as indices of the n points
	used    []int       // the union of the anchor subsets, ascending
	coords  [][]float64 // n x k coordinates of the embedded points
	scale   float64
}

// Embed embeds the n points whose distance matrix is dist (n x n,
// symmetric, zero diagonal), drawing the anchor subsets from seed. It
// errors on an empty or non-square matrix and on a negative or non-finite
// distance. Cost O(k n) draws and O(n^2 k) for the scale.
func Embed(dist [][]float64, seed uint64) (*Embedding, error) {
	n := len(dist)
	if n == 0 {
		return nil, fmt.Errorf("kernel: embedding of no points")
	}
	for i, row := range dist {
		if len(row) != n {
			return nil, fmt.Errorf("kernel: distance row %d has %d entries, want %d", i, len(row), n)
		}
		for j, v := range row {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("kernel: distance (%d,%d) is %v, want finite and >= 0", i, j, v)
			}
		}
	}

	// Draw the anchor subsets.
	rng := rand.New(rand.NewPCG(seed, 0x5bd1e995))
	levels := bits.Len(uint(n)) // floor(log2 n) + 1
	e := &Embedding{}
	inUnion := make([]bool, n)
	for lvl := 1; lvl <= levels; lvl++ {
		p := math.Ldexp(1, -lvl)
		for range 2 * levels {
			var s []int
			for i := range n {
				if rng.Float64() < p {
					s = append(s, i)
				}
			}
			if len(s) == 0 {
				s = []int{rng.IntN(n)}
			}
			for _, i := range s {
				inUnion[i] = true
			}
			e.anchors = append(e.anchors, s)
		}
	}
	for i, ok := range inUnion {
		if ok {
			e.used = append(e.used, i)
		}
	}

	// Embed the n points.
	e.coords = make([][]float64, n)
	for i := range n {
		e.coords[i] = e.place(dist[i])
	}

	// Fix the scale.
	var num, den float64
	for i := range n {
		for j := range i {
			num += dist[i][j] * dist[i][j]
			den += sqDist(e.coords[i], e.coords[j])
		}
	}
	if num > 0 && den > 0 {
		e.scale = math.Sqrt(num / den)
	} else {
		e.scale = 1 / math.Sqrt(float64(len(e.anchors)))
	}
	return e, nil
}

// N returns the number of embedded points.
func (e *Embedding) N() int { return len(e.coords) }

// Dim returns k, the number of coordinates.
func (e *Embedding) Dim() int { return len(e.anchors) }

// Scale returns the factor Rho applies to Euclidean distances.
func (e *Embedding) Scale() float64 { return e.scale }

// Used returns the indices of the points that belong to some anchor subset,
// in ascending order: the only entries Place reads. The slice is shared;
// do not change it.
func (e *Embedding) Used() []int { return e.used }

// Coords returns the coordinates of embedded point i. The slice is shared;
// do not change it.
func (e *Embedding) Coords(i int) []float64 { return e.coords[i] }

// Place returns the coordinates of a new point given d[i], its distance to
// each embedded point i, with the same anchor subsets as the embedded
// points. Only the entries listed by Used are read. Cost O(k n) at most.
func (e *Embedding) Place(d []float64) []float64 {
	if len(d) != len(e.coords) {
		panic(fmt.Sprintf("kernel: Place got %d distances for an embedding of %d points", len(d), len(e.coords)))
	}
	return e.place(d)
}

func (e *Embedding) place(d []float64) []float64 {
	x := make([]float64, len(e.anchors))
	for a, s := range e.anchors {
		m := math.Inf(1)
		for _, i := range s {
			m = min(m, d[i])
		}
		x[a] = m
	}
	return x
}

// Rho returns the embedded distance Scale * |x - y|_2 between two points
// given by their coordinates.
func (e *Embedding) Rho(x, y []float64) float64 {
	return e.scale * math.Sqrt(sqDist(x, y))
}

func sqDist(x, y []float64) float64 {
	s := 0.0
	for i, v := range x {
		d := v - y[i]
		s += d * d
	}
	return s
}
