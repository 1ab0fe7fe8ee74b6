package datasets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
)

// Stream constants give each kind of random draw its own PCG stream, so
// that a split and a subset with the same seed are independent.
const (
	splitStream  = 0x5b1d_5eed_0000_0001
	subsetStream = 0x5b1d_5eed_0000_0002
)

// Set is a labelled image data set held in memory.
type Set struct {
	// Name is the data set's name ("mnist", "fashion", "cifar10"), or ""
	// for data decoded outside [Load].
	Name string
	// X holds N images in NHWC layout: the value of channel c at row h,
	// column w of image n is X[((n*H+h)*W+w)*C+c]. Values are in [0,1]
	// (original byte / 255) until a [Norm] is applied.
	X []float32
	// Y holds the N labels, each in 0..len(Classes)-1.
	Y []int
	// N is the number of images; H, W and C are the image height, width
	// and number of channels.
	N, H, W, C int
	// Classes names the classes; label i is Classes[i]. Sets derived from
	// one another share this slice.
	Classes []string
}

// Len returns the number of images.
func (s *Set) Len() int { return s.N }

// Size returns the number of values of one image, H*W*C.
func (s *Set) Size() int { return s.H * s.W * s.C }

// Image returns image i as a slice of X (not a copy), H*W*C values long.
func (s *Set) Image(i int) []float32 {
	d := s.Size()
	return s.X[i*d : (i+1)*d : (i+1)*d]
}

// Counts returns the number of images of each class.
func (s *Set) Counts() []int {
	c := make([]int, len(s.Classes))
	for _, y := range s.Y {
		if y >= 0 && y < len(c) {
			c[y]++
		}
	}
	return c
}

// Validate checks that the fields agree: the lengths of X and Y, positive
// dimensions, and labels in range.
func (s *Set) Validate() error {
	switch {
	case s.N < 0 || s.H <= 0 || s.W <= 0 || s.C <= 0:
		return fmt.Errorf("datasets: set %q: bad dimensions n=%d h=%d w=%d c=%d", s.Name, s.N, s.H, s.W, s.C)
	case len(s.X) != s.N*s.Size():
		return fmt.Errorf("datasets: set %q: len(X)=%d, want n*h*w*c=%d", s.Name, len(s.X), s.N*s.Size())
	case len(s.Y) != s.N:
		return fmt.Errorf("datasets: set %q: len(Y)=%d, want n=%d", s.Name, len(s.Y), s.N)
	case len(s.Classes) == 0:
		return fmt.Errorf("datasets: set %q: no class names", s.Name)
	}
	for i, y := range s.Y {
		if y < 0 || y >= len(s.Classes) {
			return fmt.Errorf("datasets: set %q: label %d of example %d outside 0..%d", s.Name, y, i, len(s.Classes)-1)
		}
	}
	return nil
}

// Select returns a new set holding copies of the examples at idx, in that
// order. It panics if an index is out of range.
func (s *Set) Select(idx []int) *Set {
	d := s.Size()
	out := &Set{
		Name: s.Name, N: len(idx), H: s.H, W: s.W, C: s.C, Classes: s.Classes,
		X: make([]float32, len(idx)*d),
		Y: make([]int, len(idx)),
	}
	for j, i := range idx {
		copy(out.X[j*d:(j+1)*d], s.X[i*d:(i+1)*d])
		out.Y[j] = s.Y[i]
	}
	return out
}

// Clone returns a deep copy of s (the class names are shared).
func (s *Set) Clone() *Set {
	out := *s
	out.X = slices.Clone(s.X)
	out.Y = slices.Clone(s.Y)
	return &out
}

// byClass returns the indices of each class's examples, in order.
func (s *Set) byClass() [][]int {
	idx := make([][]int, len(s.Classes))
	for i, y := range s.Y {
		idx[y] = append(idx[y], i)
	}
	return idx
}

// Split divides s into two disjoint sets, stratified by class: from every
// class, a takes frac of its examples (rounded so that a holds
// round(frac*N) examples in all and each class is within one example of
// frac of its count) and b the rest. Which examples go where is drawn from
// seed, deterministically; both parts keep the original order. The paper's
// setting (section 5) is s.Split(0.8, seed) on the original training set.
// Split panics if frac is outside [0,1].
func (s *Set) Split(frac float64, seed uint64) (a, b *Set) {
	if !(frac >= 0 && frac <= 1) {
		panic(fmt.Sprintf("datasets: split fraction %v outside [0,1]", frac))
	}
	classes := s.byClass()

	// Quotas by the largest-remainder method: floor of each class's share,
	// then one more for the classes with the largest remainders until the
	// total is round(frac*N).
	quota := make([]int, len(classes))
	rem := make([]float64, len(classes))
	total := 0
	for c, idx := range classes {
		exact := frac * float64(len(idx))
		quota[c] = int(exact)
		rem[c] = exact - float64(quota[c])
		total += quota[c]
	}
	want := int(frac*float64(s.N) + 0.5)
	order := make([]int, len(classes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return rem[order[i]] > rem[order[j]] })
	for _, c := range order {
		if total >= want {
			break
		}
		if quota[c] < len(classes[c]) {
			quota[c]++
			total++
		}
	}

	// Draw each class's share with one generator, classes in order.
	rng := rand.New(rand.NewPCG(seed, splitStream))
	var ia, ib []int
	for c, idx := range classes {
		p := slices.Clone(idx)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		ia = append(ia, p[:quota[c]]...)
		ib = append(ib, p[quota[c]:]...)
	}
	slices.Sort(ia)
	slices.Sort(ib)
	return s.Select(ia), s.Select(ib)
}

// Subset returns n examples of s drawn from seed, as balanced over the
// classes as the class counts allow: every class gets n/k examples (k
// classes), a class with fewer gives all it has, and what is left over goes
// one example at a time to classes that still have some, in an order drawn
// from seed. The examples keep their original order. If n >= N the result
// is a copy of s; if n <= 0 it is empty.
func (s *Set) Subset(n int, seed uint64) *Set {
	if n >= s.N {
		return s.Clone()
	}
	n = max(n, 0)
	classes := s.byClass()
	k := len(classes)
	rng := rand.New(rand.NewPCG(seed, subsetStream))

	// Water-filling: give each class an equal share up to what it has,
	// then hand out the remainder round-robin in a random class order.
	quota := make([]int, k)
	left := n
	for left > 0 {
		open := 0
		for c := range classes {
			if quota[c] < len(classes[c]) {
				open++
			}
		}
		share := left / open
		if share == 0 {
			order := rng.Perm(k)
			for _, c := range order {
				if left == 0 {
					break
				}
				if quota[c] < len(classes[c]) {
					quota[c]++
					left--
				}
			}
			break
		}
		for c := range classes {
			add := min(share, len(classes[c])-quota[c])
			quota[c] += add
			left -= add
		}
	}

	var idx []int
	for c, ci := range classes {
		p := slices.Clone(ci)
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		idx = append(idx, p[:quota[c]]...)
	}
	slices.Sort(idx)
	return s.Select(idx)
}

// Concat returns one set holding the examples of all sets, in order, for
// instance to retrain the best architecture on train plus validation
// (section 5). The sets must have the same image shape and class names.
func Concat(sets ...*Set) (*Set, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("datasets: concat of no sets")
	}
	first := sets[0]
	out := &Set{Name: first.Name, H: first.H, W: first.W, C: first.C, Classes: first.Classes}
	for i, s := range sets {
		if s.H != first.H || s.W != first.W || s.C != first.C {
			return nil, fmt.Errorf("datasets: concat: set %d is %dx%dx%d, set 0 is %dx%dx%d",
				i, s.H, s.W, s.C, first.H, first.W, first.C)
		}
		if !slices.Equal(s.Classes, first.Classes) {
			return nil, fmt.Errorf("datasets: concat: set %d has classes %q, set 0 has %q", i, s.Classes, first.Classes)
		}
		out.N += s.N
		out.X = append(out.X, s.X...)
		out.Y = append(out.Y, s.Y...)
	}
	return out, nil
}
