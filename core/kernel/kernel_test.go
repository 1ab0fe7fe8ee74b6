package kernel

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomHistory returns up to max architectures of random graphs, about a
// third of them exact repeats of earlier ones, as a search history has when
// the same architecture is trained twice.
func randomHistory(rng *rand.Rand, max int) []Arch {
	n := 1 + rng.IntN(max)
	archs := make([]Arch, 0, n)
	for len(archs) < n {
		if len(archs) > 0 && rng.IntN(3) == 0 {
			archs = append(archs, archs[rng.IntN(len(archs))])
			continue
		}
		archs = append(archs, MustDescribe(randomGraph(rng)))
	}
	return archs
}

// TestKernelPSD checks Theorem 2 on 50 random histories of up to 60
// architectures, duplicates included, at length scales from 1/4 to 16: the
// smallest eigenvalue of the kernel matrix is >= -1e-9. A Gaussian kernel on points of R^k is positive
// semidefinite in exact arithmetic; 1e-9 leaves room for the rounding of a
// symmetric eigensolver on a unit-diagonal matrix of this size (about
// n * 1e-16).
func TestKernelPSD(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	worst := math.Inf(1)
	for h := range 50 {
		archs := randomHistory(rng, 60)
		k, err := New(archs, Config{Seed: uint64(h), Length: []float64{1, 0.25, 4, 16}[h%4]})
		require.NoError(t, err)
		m := k.Matrix()
		n := len(m)
		sym := mat.NewSymDense(n, nil)
		for i := range n {
			require.Equal(t, 1.0, m[i][i])
			for j := range n {
				require.Equal(t, m[i][j], m[j][i])
				require.True(t, m[i][j] >= 0 && m[i][j] <= 1, "K[%d][%d] = %v", i, j, m[i][j])
				sym.SetSym(i, j, m[i][j])
			}
		}
		var eig mat.EigenSym
		require.True(t, eig.Factorize(sym, false), "history %d: eigen decomposition failed", h)
		low := eig.Values(nil)[0] // ascending
		worst = min(worst, low)
		require.GreaterOrEqual(t, low, -1e-9, "history %d (n=%d)", h, n)
	}
	t.Logf("smallest eigenvalue over 50 histories: %.3g", worst)
}

// TestRowMatchesMatrix checks that a training architecture, embedded again
// as a new candidate, gets its own row of the matrix: fit and prediction use
// one kernel.
func TestRowMatchesMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	archs := randomHistory(rng, 40)
	k, err := New(archs, Config{})
	require.NoError(t, err)
	m := k.Matrix()
	for i, a := range archs {
		row := k.Row(a)
		for j := range row {
			require.InDelta(t, m[i][j], row[j], 1e-12, "row %d col %d", i, j)
		}
	}
}

// TestEmbeddingContracts checks the properties of the Bourgain coordinates:
// each is 1-Lipschitz, so the unscaled embedded distance is at most
// sqrt(k) times d, and the scale makes the squared distances sum as the
// squared edit distances do.
func TestEmbeddingContracts(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	archs := randomHistory(rng, 50)
	k, err := New(archs, Config{Seed: 3})
	require.NoError(t, err)
	e, d := k.Embedding(), k.Distances()
	var sumD, sumRho float64
	for i := range archs {
		for j := range i {
			plain := math.Sqrt(sqDist(e.Coords(i), e.Coords(j)))
			require.LessOrEqual(t, plain, math.Sqrt(float64(e.Dim()))*d[i][j]+1e-9)
			r := e.Rho(e.Coords(i), e.Coords(j))
			sumD += d[i][j] * d[i][j]
			sumRho += r * r
		}
	}
	if sumD > 0 {
		assert.InDelta(t, 1, sumRho/sumD, 1e-9)
	}
	levels := 0
	for 1<<levels <= len(archs) {
		levels++
	}
	assert.Equal(t, 2*levels*levels, e.Dim(), "k = 2 L^2 with L = floor(log2 n)+1")
}

func TestKernelDeterministic(t *testing.T) {
	archs := randomHistory(rand.New(rand.NewPCG(1, 1)), 30)
	k1, err := New(archs, Config{Seed: 42})
	require.NoError(t, err)
	k2, err := New(archs, Config{Seed: 42})
	require.NoError(t, err)
	assert.Equal(t, k1.Matrix(), k2.Matrix())
}

func TestKernelSinglePointAndDuplicates(t *testing.T) {
	a := Arch{Widths: []int{64, 10}}
	k, err := New([]Arch{a}, Config{})
	require.NoError(t, err)
	assert.Equal(t, [][]float64{{1}}, k.Matrix())
	// One edit away from the only point: rho equals d, kernel e^-1.
	b := Arch{Widths: []int{64, 64, 10}}
	assert.InDelta(t, math.Exp(-1), k.Row(b)[0], 1e-12)

	k, err = New([]Arch{a, a, a}, Config{})
	require.NoError(t, err)
	for _, row := range k.Matrix() {
		assert.Equal(t, []float64{1, 1, 1}, row)
	}
}

// TestLengthScale checks kappa = exp(-rho^2/l^2) against the kernel at
// l = 1 raised to the power 1/l^2, Config.Length against WithLength, and
// Row against Matrix at each scale: a candidate gets the scale of the fit.
func TestLengthScale(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	archs := randomHistory(rng, 30)
	k1, err := New(archs, Config{Seed: 4})
	require.NoError(t, err)
	assert.Equal(t, DefaultLength, k1.Length())
	m1 := k1.Matrix()
	cand := MustDescribe(randomGraph(rng))
	row1 := k1.Row(cand)
	for _, l := range []float64{0.5, 2, 8} {
		kl, err := k1.WithLength(l)
		require.NoError(t, err)
		assert.Equal(t, l, kl.Length())
		assert.Equal(t, 1.0, k1.Length(), "WithLength leaves the receiver alone")
		kn, err := New(archs, Config{Seed: 4, Length: l})
		require.NoError(t, err)
		ml := kl.Matrix()
		assert.Equal(t, ml, kn.Matrix())
		for i := range ml {
			for j := range ml {
				require.InDelta(t, math.Pow(m1[i][j], 1/(l*l)), ml[i][j], 1e-12, "l=%v (%d,%d)", l, i, j)
			}
		}
		for i, a := range archs {
			row := kl.Row(a)
			for j := range row {
				require.InDelta(t, ml[i][j], row[j], 1e-12, "l=%v row %d col %d", l, i, j)
			}
		}
		for j, v := range kl.Row(cand) {
			require.InDelta(t, math.Pow(row1[j], 1/(l*l)), v, 1e-12, "l=%v candidate col %d", l, j)
		}
	}
	// One edit away from the only point at l = 2: exp(-1/4).
	k, err := New([]Arch{{Widths: []int{64, 10}}}, Config{Length: 2})
	require.NoError(t, err)
	assert.InDelta(t, math.Exp(-0.25), k.Row(Arch{Widths: []int{64, 64, 10}})[0], 1e-12)
}

func TestKernelErrors(t *testing.T) {
	_, err := New(nil, Config{})
	assert.ErrorContains(t, err, "kernel: no architectures")
	_, err = New([]Arch{{Widths: []int{1}}}, Config{Lambda: -1})
	assert.ErrorContains(t, err, "kernel: lambda -1")
	_, err = New([]Arch{{Widths: []int{1}}}, Config{Length: -2})
	assert.ErrorContains(t, err, "kernel: length scale -2, want finite and > 0")
	_, err = New([]Arch{{Widths: []int{1}}}, Config{Length: math.Inf(1)})
	assert.ErrorContains(t, err, "kernel: length scale +Inf")
	k, err := New([]Arch{{Widths: []int{1}}}, Config{})
	require.NoError(t, err)
	for _, l := range []float64{0, -1, math.NaN()} {
		_, err = k.WithLength(l)
		assert.ErrorContains(t, err, "kernel: length scale", "l=%v", l)
	}
	_, err = Embed([][]float64{{0, 1}, {1}}, 0)
	assert.ErrorContains(t, err, "kernel: distance row 1 has 1 entries, want 2")
	_, err = Embed([][]float64{{0, math.NaN()}, {1, 0}}, 0)
	assert.ErrorContains(t, err, "kernel: distance (0,1) is NaN")
}

// TestJointKernelPSD embeds new candidates with the training anchors and
// checks that the joint kernel matrix of training points and candidates is
// positive semidefinite, and that Row gives its cross block: prediction uses
// the kernel the fit used, so the posterior variance cannot go negative.
func TestJointKernelPSD(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	for h := range 10 {
		archs := randomHistory(rng, 40)
		k, err := New(archs, Config{Seed: uint64(h)})
		require.NoError(t, err)
		e := k.Embedding()
		var cands []Arch
		for range 15 {
			cands = append(cands, MustDescribe(randomGraph(rng)))
		}
		pts := make([][]float64, 0, len(archs)+len(cands))
		for i := range archs {
			pts = append(pts, e.Coords(i))
		}
		for _, c := range cands {
			d := make([]float64, len(archs))
			for i, a := range archs {
				d[i] = Distance(c, a, 1)
			}
			pts = append(pts, e.Place(d))
		}
		n := len(pts)
		sym := mat.NewSymDense(n, nil)
		for i := range n {
			for j := range i + 1 {
				r := e.Rho(pts[i], pts[j])
				sym.SetSym(i, j, math.Exp(-r*r))
			}
		}
		for ci, c := range cands {
			row := k.Row(c)
			for i := range archs {
				require.InDelta(t, sym.At(len(archs)+ci, i), row[i], 1e-12)
			}
		}
		var eig mat.EigenSym
		require.True(t, eig.Factorize(sym, false))
		require.GreaterOrEqual(t, eig.Values(nil)[0], -1e-9, "history %d", h)
	}
}
