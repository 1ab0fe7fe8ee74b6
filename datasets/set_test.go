package datasets

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idSet makes a set of n 2x1x2 images whose first value is the example's
// index (so examples can be traced through splits) and whose labels follow
// counts: counts[c] examples of class c, classes interleaved.
func idSet(counts []int) *Set {
	left := slices.Clone(counts)
	var y []int
	for more := true; more; {
		more = false
		for c := range left {
			if left[c] > 0 {
				y = append(y, c)
				left[c]--
				more = true
			}
		}
	}
	s := &Set{Name: "ids", N: len(y), H: 2, W: 1, C: 2, Y: y, X: make([]float32, len(y)*4)}
	for i := range y {
		s.X[i*4] = float32(i)
		s.X[i*4+1] = float32(y[i])
	}
	for c := range counts {
		s.Classes = append(s.Classes, fmt.Sprint("class", c))
	}
	return s
}

// ids returns the example indices held by a set made from idSet, checking
// that every image still carries its own label.
func ids(t *testing.T, s *Set) []int {
	t.Helper()
	require.NoError(t, s.Validate())
	out := make([]int, s.N)
	for i := range s.N {
		out[i] = int(s.Image(i)[0])
		require.Equal(t, float32(s.Y[i]), s.Image(i)[1], "label of example %d moved without its image", out[i])
	}
	return out
}

func TestSplit(t *testing.T) {
	counts := []int{50, 31, 7, 1, 0, 12}
	s := idSet(counts)
	a, b := s.Split(0.8, 42)

	// Disjoint, and together everything, each part in the original order.
	ia, ib := ids(t, a), ids(t, b)
	assert.True(t, slices.IsSorted(ia))
	assert.True(t, slices.IsSorted(ib))
	all := slices.Sorted(slices.Values(slices.Concat(ia, ib)))
	want := make([]int, s.N)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, all)

	// Stratified: round(0.8*101) = 81 in all, each class within one
	// example of 80 % of its count.
	assert.Equal(t, 81, a.N)
	for c, n := range a.Counts() {
		assert.InDelta(t, 0.8*float64(counts[c]), float64(n), 1, "class %d: %d of %d", c, n, counts[c])
		assert.Equal(t, counts[c], n+b.Counts()[c])
	}

	// Deterministic per seed; another seed draws other examples.
	a2, _ := s.Split(0.8, 42)
	assert.Equal(t, ia, ids(t, a2))
	a3, _ := s.Split(0.8, 43)
	assert.NotEqual(t, ia, ids(t, a3))
	assert.Equal(t, a.Counts(), a3.Counts(), "the class counts depend on the data only")

	// The parent is unchanged and shares no memory with the parts.
	a.X[0] = -1
	assert.Equal(t, float32(0), s.X[0])
}

func TestSplitEdges(t *testing.T) {
	s := idSet([]int{3, 4})
	a, b := s.Split(0, 1)
	assert.Equal(t, 0, a.N)
	assert.Equal(t, 7, b.N)
	a, b = s.Split(1, 1)
	assert.Equal(t, 7, a.N)
	assert.Equal(t, 0, b.N)
	// 0.5 of 3 and of 4: 1.5 and 2 make 3.5, rounded to 4 in all, the
	// extra one going to the class with the larger remainder (class 0).
	a, _ = s.Split(0.5, 1)
	assert.Equal(t, []int{2, 2}, a.Counts())
	assert.Panics(t, func() { s.Split(1.5, 1) })
}

func TestSubset(t *testing.T) {
	for _, tc := range []struct {
		name   string
		counts []int
		n      int
		want   []int // class counts; nil means "balanced within one"
	}{
		{"balanced", []int{40, 40, 40, 40}, 20, []int{5, 5, 5, 5}},
		{"remainder", []int{40, 40, 40, 40}, 22, nil},
		{"scarce class", []int{40, 2, 40, 40}, 20, []int{6, 2, 6, 6}},
		{"scarce and remainder", []int{40, 2, 40, 0}, 21, nil},
		{"all", []int{3, 4}, 7, []int{3, 4}},
		{"more than all", []int{3, 4}, 100, []int{3, 4}},
		{"none", []int{3, 4}, 0, []int{0, 0}},
		{"negative", []int{3, 4}, -2, []int{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := idSet(tc.counts)
			sub := s.Subset(tc.n, 7)
			id := ids(t, sub)
			assert.Equal(t, min(max(tc.n, 0), s.N), sub.N)
			assert.True(t, slices.IsSorted(id))
			assert.Len(t, slices.Compact(slices.Clone(id)), len(id), "no example twice")
			got := sub.Counts()
			if tc.want != nil {
				assert.Equal(t, tc.want, got)
				return
			}
			// Balanced within one among the classes not exhausted.
			var open []int
			for c, n := range got {
				assert.LessOrEqual(t, n, tc.counts[c])
				if n < tc.counts[c] {
					open = append(open, n)
				}
			}
			assert.LessOrEqual(t, slices.Max(open)-slices.Min(open), 1, "counts %v", got)
			assert.Equal(t, id, ids(t, s.Subset(tc.n, 7)), "deterministic per seed")
		})
	}
}

func TestConcatUndoesSplit(t *testing.T) {
	s := idSet([]int{9, 8, 7})
	a, b := s.Split(0.8, 3)
	u, err := Concat(a, b)
	require.NoError(t, err)
	assert.Equal(t, s.N, u.N)
	assert.ElementsMatch(t, ids(t, s), ids(t, u))

	other := idSet([]int{1, 1})
	_, err = Concat(a, other)
	assert.ErrorContains(t, err, "datasets: concat: set 1 has classes")
	other.H = 3
	_, err = Concat(a, other)
	assert.ErrorContains(t, err, "datasets: concat: set 1 is 3x1x2, set 0 is 2x1x2")
	_, err = Concat()
	assert.Error(t, err)
}

func TestSetValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(s *Set)
		msg    string
	}{
		{"x length", func(s *Set) { s.X = s.X[:3] }, "len(X)=3, want n*h*w*c=12"},
		{"y length", func(s *Set) { s.Y = s.Y[:2] }, "len(Y)=2, want n=3"},
		{"label", func(s *Set) { s.Y[1] = 5 }, "label 5 of example 1 outside 0..1"},
		{"dims", func(s *Set) { s.C = 0 }, "bad dimensions"},
		{"classes", func(s *Set) { s.Classes = nil }, "no class names"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := idSet([]int{2, 1})
			tc.change(s)
			assert.ErrorContains(t, s.Validate(), tc.msg)
		})
	}
}
