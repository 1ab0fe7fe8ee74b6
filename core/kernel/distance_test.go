package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// input is the image shape of the hand-built test graphs.
var input = graph.Shape{H: 8, W: 8, C: 3}

// chain returns a plain CNN with the given conv widths.
func chain(widths ...int) *graph.Graph {
	specs := make([]graph.ConvSpec, len(widths))
	for i, w := range widths {
		specs[i] = graph.ConvSpec{Units: w}
	}
	return graph.PlainCNN(input, 10, specs)
}

// withSkip returns three 64-filter conv blocks (no pooling, so that any two
// nodes have the same spatial shape) with a skip from the end of block from
// (0 = the input) to the end of block to, an add through a 1x1 conv when
// concat is false, else a concat folded back by a Skip-flagged 1x1 conv.
func withSkip(from, to int, concat bool) *graph.Graph {
	g := graph.New(input, 10)
	ends := []int{0}
	cur := 0
	for b := 1; b <= 3; b++ {
		cur = g.ReLU(g.BatchNorm(g.Conv(cur, 64, 3, 1)))
		if b == to {
			if concat {
				cat := g.Concat(cur, ends[from])
				cur = g.Append(graph.Layer{Kind: graph.Conv2D, Inputs: []int{cat}, Units: 64, Kernel: 1, Skip: true})
			} else {
				cur = g.Sum(cur, g.Conv(ends[from], 64, 1, 1))
			}
		}
		ends = append(ends, cur)
	}
	g.Softmax(g.Dense(g.GAP(cur), 10))
	return g
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		g    *graph.Graph
		want Arch
	}{
		{"initial", graph.Initial(input, 10), Arch{Widths: []int{64, 64, 64, 10}}},
		{"mlp", graph.MLP(input, 10, []int{128, 32}), Arch{Widths: []int{128, 32, 10}}},
		{"add 1 to 3", withSkip(1, 3, false), Arch{Widths: []int{64, 64, 64, 10}, Skips: []Skip{{U: 1, Delta: 2}}}},
		{"concat 0 to 2", withSkip(0, 2, true), Arch{Widths: []int{64, 64, 64, 10}, Skips: []Skip{{U: 0, Delta: 2, Concat: true}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.g.Validate())
			got, err := Describe(tc.g)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestDescribeErrors(t *testing.T) {
	g := graph.New(input, 10)
	g.Conv(0, 8, 3, 1)
	_, err := Describe(g)
	assert.ErrorContains(t, err, "kernel: graph has no softmax output")

	g = chain(0)
	_, err = Describe(g)
	assert.ErrorContains(t, err, "has width 0")
}

// TestHandDistances checks the distances the paper's equations give by hand.
func TestHandDistances(t *testing.T) {
	tests := []struct {
		name   string
		a, b   *graph.Graph
		lambda float64
		want   float64
	}{
		{"one conv layer more", chain(64, 64, 64), chain(64, 64, 64, 64), 1, 1},
		{"one conv layer more, lambda ignored", chain(64, 64), chain(64, 64, 64), 3, 1},
		{"widths 32 vs 64", chain(64, 32, 64), chain(64, 64, 64), 1, 0.5},
		{"dense 64 vs 128", graph.MLP(input, 10, []int{64}), graph.MLP(input, 10, []int{128}), 1, 0.5},
		{"two widenings", chain(16, 32, 64), chain(32, 32, 48), 1, 0.5 + 16.0/64},
		{"kernel size ignored", graph.PlainCNN(input, 10, []graph.ConvSpec{{Units: 8, Kernel: 5}}), chain(8), 1, 0},
		{"one add skip", withSkip(1, 3, false), chain(64, 64, 64), 1, 1},
		{"one add skip, lambda 2.5", chain(64, 64, 64), withSkip(1, 2, false), 2.5, 2.5},
		{"one concat skip, flagged fold ignored", chain(64, 64, 64), withSkip(0, 3, true), 1, 1},
		{"add vs concat, same place", withSkip(1, 3, false), withSkip(1, 3, true), 1, 1},
		// (u, delta) = (1, 2) vs (0, 3): (1 + 1) / (1 + 3).
		{"moved skip", withSkip(1, 3, false), withSkip(0, 3, false), 1, 0.5},
		// (1, 1) vs (1, 2), lambda 2: 2 * 1 / (1 + 2).
		{"longer skip", withSkip(1, 2, false), withSkip(1, 3, false), 2, 2.0 / 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := MustDescribe(tc.a), MustDescribe(tc.b)
			got := Distance(a, b, tc.lambda)
			assert.InDelta(t, tc.want, got, 1e-12, "a=%+v b=%+v", a, b)
			assert.InDelta(t, tc.want, Distance(b, a, tc.lambda), 1e-12, "reversed")
		})
	}
}

func TestLayerDistanceUsesMin(t *testing.T) {
	// With max, the recurrence would grow with every cell; the minimum
	// edit between [8, 16, 32] and [16, 32] deletes the 8: distance 1.
	assert.InDelta(t, 1, LayerDistance([]int{8, 16, 32}, []int{16, 32}), 1e-12)
	assert.InDelta(t, 3, LayerDistance(nil, []int{1, 2, 3}), 1e-12)
	assert.InDelta(t, 0, LayerDistance(nil, nil), 1e-12)
}

// TestMetric checks Theorem 1 on random sets of graphs, for three values of
// lambda: d is non-negative, zero exactly for equal descriptions, symmetric,
// and satisfies the triangle inequality within 1e-9 (rounding of sums of a
// few dozen terms is far below that).
func TestMetric(t *testing.T) {
	for _, lambda := range []float64{0.1, 1, 10} {
		t.Run(fmt.Sprintf("lambda=%g", lambda), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(lambda*100)))
			for set := range 5 {
				var archs []Arch
				for range 30 {
					g := randomGraph(rng)
					require.NoError(t, g.Validate())
					archs = append(archs, MustDescribe(g))
				}
				d := Matrix(archs, lambda)
				zeros := 0
				for i := range archs {
					for j := range archs {
						same := reflect.DeepEqual(canonical(archs[i]), canonical(archs[j]))
						require.GreaterOrEqual(t, d[i][j], 0.0, "set %d: d(%+v, %+v)", set, archs[i], archs[j])
						require.InDelta(t, d[i][j], Distance(archs[j], archs[i], lambda), 1e-12, "symmetry")
						require.Equal(t, same, d[i][j] == 0, "set %d: d(%+v, %+v) = %v", set, archs[i], archs[j], d[i][j])
						if i != j && same {
							zeros++
						}
						for k := range archs {
							require.LessOrEqual(t, d[i][j], d[i][k]+d[k][j]+1e-9,
								"triangle: %+v, %+v via %+v", archs[i], archs[j], archs[k])
						}
					}
				}
				t.Logf("set %d: %d ordered pairs of distinct graphs at distance 0", set, zeros)
			}
		})
	}
}

// TestSkipDistanceBruteForce compares the Hungarian matching with every
// injective matching of the smaller skip set into the larger, up to 6
// skips per set.
func TestSkipDistanceBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	randSkips := func(n int) []Skip {
		s := make([]Skip, n)
		for i := range s {
			s[i] = Skip{U: rng.IntN(6), Delta: rng.IntN(5), Concat: rng.IntN(3) == 0}
		}
		return s
	}
	for na := 0; na <= 6; na++ {
		for nb := 0; nb <= 6; nb++ {
			for trial := range 20 {
				a, b := randSkips(na), randSkips(nb)
				want := bruteSkipDistance(a, b)
				got := SkipDistance(a, b)
				require.InDelta(t, want, got, 1e-12, "trial %d: a=%+v b=%+v", trial, a, b)
			}
		}
	}
}

// bruteSkipDistance is equation (7) by enumeration of every injective map.
func bruteSkipDistance(a, b []Skip) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	used := make([]bool, len(b))
	best := math.Inf(1)
	var rec func(i int, sum float64)
	rec = func(i int, sum float64) {
		if i == len(a) {
			best = min(best, sum)
			return
		}
		for j := range b {
			if !used[j] {
				used[j] = true
				rec(i+1, sum+SkipPairDistance(a[i], b[j]))
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best + float64(len(b)-len(a))
}

func TestAssignBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 6; n++ {
		for m := n; m <= 7; m++ {
			for range 10 {
				c := make([][]float64, n)
				for i := range c {
					c[i] = make([]float64, m)
					for j := range c[i] {
						c[i][j] = float64(rng.IntN(10)) // ties on purpose
					}
				}
				match, total := Assign(c)
				seen := map[int]bool{}
				sum := 0.0
				for i, j := range match {
					require.False(t, seen[j], "column %d used twice in %v", j, match)
					seen[j] = true
					sum += c[i][j]
				}
				require.InDelta(t, sum, total, 1e-12)
				require.InDelta(t, bruteAssign(c), total, 1e-12, "cost %v", c)
			}
		}
	}
}

func bruteAssign(c [][]float64) float64 {
	m := len(c[0])
	used := make([]bool, m)
	best := math.Inf(1)
	var rec func(i int, sum float64)
	rec = func(i int, sum float64) {
		if i == len(c) {
			best = min(best, sum)
			return
		}
		for j := range m {
			if !used[j] {
				used[j] = true
				rec(i+1, sum+c[i][j])
				used[j] = false
			}
		}
	}
	rec(0, 0)
	return best
}

// fullLayerDistance is equation (6) with min over the whole table, without
// the trimming of equal ends.
func fullLayerDistance(a, b []int) float64 {
	A := make([][]float64, len(a)+1)
	for i := range A {
		A[i] = make([]float64, len(b)+1)
		A[i][0] = float64(i)
	}
	for j := range A[0] {
		A[0][j] = float64(j)
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			A[i][j] = min(A[i-1][j]+1, A[i][j-1]+1, A[i-1][j-1]+WidthDistance(a[i-1], b[j-1]))
		}
	}
	return A[len(a)][len(b)]
}

// TestLayerDistanceTrimming compares LayerDistance, which trims equal
// ends, with the full table on random width sequences drawn from three
// values, so that equal ends and equal middles are frequent.
func TestLayerDistanceTrimming(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	seq := func() []int {
		s := make([]int, rng.IntN(9))
		for i := range s {
			s[i] = []int{16, 32, 48}[rng.IntN(3)]
		}
		return s
	}
	for range 5000 {
		a, b := seq(), seq()
		require.InDelta(t, fullLayerDistance(a, b), LayerDistance(a, b), 1e-12, "a=%v b=%v", a, b)
	}
}
