package gp

import (
	"bytes"
	"log/slog"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// rbf is kappa(a, b) = exp(-(a-b)^2 / (2 ls^2)), a valid kernel on the real
// line with unit diagonal, standing in for the edit-distance kernel.
func rbf(a, b, ls float64) float64 {
	d := (a - b) / ls
	return math.Exp(-0.5 * d * d)
}

// kernelMatrix returns the train-train kernel of xs.
func kernelMatrix(xs []float64, ls float64) [][]float64 {
	k := make([][]float64, len(xs))
	for i, a := range xs {
		k[i] = make([]float64, len(xs))
		for j, b := range xs {
			k[i][j] = rbf(a, b, ls)
		}
	}
	return k
}

// crossKernel returns k(x, xs).
func crossKernel(x float64, xs []float64, ls float64) []float64 {
	k := make([]float64, len(xs))
	for i, b := range xs {
		k[i] = rbf(x, b, ls)
	}
	return k
}

// popStd is the standard deviation of y with divisor n, as Fit normalises.
func popStd(y []float64) float64 {
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	ss := 0.0
	for _, v := range y {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(y)))
}

// twelve holds 12 architectures as points on a line: 0, 2 and 6 appear more
// than once (identical kernel rows), the rest are at least 1 apart.
var twelve = []float64{0, 0, 1, 2, 2, 2, 3.5, 5, 6, 6, 7, 9}

func TestFitDuplicatesAndConstantTargets(t *testing.T) {
	k := kernelMatrix(twelve, 1)
	varying := make([]float64, len(twelve))
	for i, x := range twelve {
		varying[i] = 0.1 + 0.05*math.Sin(x) // an error rate; duplicates agree
	}
	constant := make([]float64, len(twelve))
	for i := range constant {
		constant[i] = 0.3
	}
	zeros := make([]float64, len(twelve))

	for _, tc := range []struct {
		name string
		y    []float64
		ystd float64 // the normalising deviation Fit must use
	}{
		{"varying targets", varying, popStd(varying)},
		// Constant targets normalise with std 1 (one target unit).
		{"constant targets", constant, 1},
		{"all zero targets", zeros, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit(k, tc.y, Config{})
			require.NoError(t, err)
			require.Equal(t, 12, m.N(), "every observation is in the model")
			assert.Zero(t, m.Jitter(), "duplicates need no jitter beyond the noise")
			ystd := tc.ystd
			// Noise standard deviation in target units: the posterior
			// variance of f at a training point is below the noise variance
			// (conditioning on its own observation alone gives
			// kss*s2/(kss+s2) < s2), and the mean is within it of the target.
			noiseSD := math.Sqrt(m.Noise()+m.Jitter()) * ystd
			for i, x := range twelve {
				mean, std := m.Predict(k[i], 1)
				assert.InDelta(t, tc.y[i], mean, noiseSD, "mean at training point %d (x=%v)", i, x)
				assert.False(t, math.IsNaN(std) || math.IsInf(std, 0), "std at %d is %v", i, std)
				assert.GreaterOrEqual(t, std, 0.0, "std at %d", i)
				assert.LessOrEqual(t, std, noiseSD, "std at %d", i)
			}
			// Between and beyond the data the deviation stays finite,
			// non-negative and at most the prior's.
			for x := -3.0; x <= 12; x += 0.25 {
				_, std := m.Predict(crossKernel(x, twelve, 1), 1)
				assert.False(t, math.IsNaN(std) || math.IsInf(std, 0), "std at x=%v is %v", x, std)
				assert.GreaterOrEqual(t, std, 0.0, "std at x=%v", x)
				assert.LessOrEqual(t, std, ystd*(1+1e-12), "std at x=%v", x)
			}
			assert.False(t, math.IsNaN(m.LogMarginalLikelihood()))
		})
	}
}

// TestDuplicatesAllCount shows no observation is dropped: at an architecture
// observed three times with targets a, b, b the mean is (a+2b)/3, which only
// holds if all three are in the model.
func TestDuplicatesAllCount(t *testing.T) {
	xs := []float64{0, 4, 4, 4, 8}
	y := []float64{0.5, 0.2, 0.35, 0.35, 0.6}
	k := kernelMatrix(xs, 1)
	m, err := Fit(k, y, Config{})
	require.NoError(t, err)
	require.Equal(t, 5, m.N())
	mean, std := m.Predict(k[1], 1)
	// x=4 is 4 length scales from the others (kernel 3e-4); its posterior is
	// essentially that of three noisy copies, within about 1e-3 of their mean.
	assert.InDelta(t, (0.2+0.35+0.35)/3, mean, 2e-3)
	assert.GreaterOrEqual(t, std, 0.0)
	assert.False(t, math.IsNaN(std))
}

// TestAgainstDenseSolve compares with the textbook formulas computed by a
// general dense inverse (gonum, LU based), on a random, well-conditioned RBF
// kernel of 1-D points.
func TestAgainstDenseSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 30
	const ls = 0.7
	const noise = 1e-2 // keeps K + noise I well conditioned (cond < 1e4)
	xs := make([]float64, n)
	y := make([]float64, n)
	for i := range xs {
		xs[i] = 10 * rng.Float64()
		y[i] = 3 + 2*math.Sin(xs[i]) + 0.1*rng.NormFloat64()
	}
	k := kernelMatrix(xs, ls)
	m, err := Fit(k, y, Config{Noise: noise})
	require.NoError(t, err)

	// Reference: A = K + noise I, inverse by LU.
	ym, ys := 0.0, popStd(y)
	for _, v := range y {
		ym += v
	}
	ym /= n
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, k[i][j])
		}
		a.Set(i, i, a.At(i, i)+noise)
	}
	var inv mat.Dense
	require.NoError(t, inv.Inverse(a))
	yn := mat.NewVecDense(n, nil)
	for i, v := range y {
		yn.SetVec(i, (v-ym)/ys)
	}
	var w mat.VecDense
	w.MulVec(&inv, yn)

	for j := range 25 {
		x := -1 + 12*float64(j)/24
		ks := crossKernel(x, xs, ls)
		kv := mat.NewVecDense(n, ks)
		wantMean := ym + ys*mat.Dot(kv, &w)
		var ak mat.VecDense
		ak.MulVec(&inv, kv)
		wantVar := 1 - mat.Dot(kv, &ak)
		gotMean, gotStd := m.Predict(ks, 1)
		assert.InDelta(t, wantMean, gotMean, 1e-9, "mean at x=%v", x)
		assert.InDelta(t, math.Sqrt(math.Max(wantVar, 0))*ys, gotStd, 1e-7, "std at x=%v", x)
	}

	// Log marginal likelihood from the LU determinant.
	logDet, sign := mat.LogDet(a)
	require.Equal(t, 1.0, sign)
	wantLML := -0.5*mat.Dot(yn, &w) - 0.5*logDet - 0.5*n*math.Log(2*math.Pi)
	assert.InDelta(t, wantLML, m.LogMarginalLikelihood(), 1e-8)
}

func TestFarPointGetsPrior(t *testing.T) {
	y := []float64{0.12, 0.3, 0.25, 0.4}
	xs := []float64{0, 1, 2, 3}
	m, err := Fit(kernelMatrix(xs, 1), y, Config{})
	require.NoError(t, err)
	// At x = 1000 every kernel value underflows to 0: the prior.
	mean, std := m.Predict(crossKernel(1000, xs, 1), 1)
	assert.InDelta(t, (0.12+0.3+0.25+0.4)/4, mean, 1e-15)
	assert.InDelta(t, popStd(y), std, 1e-15)
	// A prior variance other than 1 scales the deviation by its root.
	_, std = m.Predict(make([]float64, 4), 4)
	assert.InDelta(t, 2*popStd(y), std, 1e-15)

	// Constant targets: the prior deviation is one target unit.
	m, err = Fit(kernelMatrix(xs, 1), []float64{7, 7, 7, 7}, Config{})
	require.NoError(t, err)
	mean, std = m.Predict(make([]float64, 4), 1)
	assert.Equal(t, 7.0, mean)
	assert.Equal(t, 1.0, std)
}

func TestBadInput(t *testing.T) {
	good := kernelMatrix([]float64{0, 1, 2}, 1)
	y := []float64{1, 2, 3}
	with := func(i, j int, v float64) [][]float64 {
		k := kernelMatrix([]float64{0, 1, 2}, 1)
		k[i][j] = v
		return k
	}
	for _, tc := range []struct {
		name string
		k    [][]float64
		y    []float64
		cfg  Config
		want string
	}{
		{"empty", nil, nil, Config{}, "no observations"},
		{"short row", [][]float64{{1, 0, 0}, {0, 1}, {0, 0, 1}}, y, Config{}, "kernel row 1 has 2 entries, want 3"},
		{"too few targets", good, y[:2], Config{}, "2 targets for a 3x3 kernel"},
		{"too many targets", good, []float64{1, 2, 3, 4}, Config{}, "4 targets for a 3x3 kernel"},
		{"nan in kernel", with(2, 1, math.NaN()), y, Config{}, "kernel entry (2,1) is NaN"},
		{"inf in kernel", with(0, 0, math.Inf(1)), y, Config{}, "kernel entry (0,0) is +Inf"},
		{"nan target", good, []float64{1, math.NaN(), 3}, Config{}, "target 1 is NaN"},
		{"inf target", good, []float64{1, 2, math.Inf(-1)}, Config{}, "target 2 is -Inf"},
		{"not symmetric", with(0, 2, 0.5), y, Config{}, "kernel not symmetric: entries (2,0)"},
		{"negative noise", good, y, Config{Noise: -1}, "config noise -1"},
		{"nan noise", good, y, Config{Noise: math.NaN()}, "config noise NaN"},
		{"negative tries", good, y, Config{MaxJitterTries: -2}, "config max jitter tries -2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Fit(tc.k, tc.y, tc.cfg)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, ErrInput)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "gp: "), err.Error())
		})
	}
}

func TestNotPositiveDefinite(t *testing.T) {
	// Eigenvalues 3 and -1: no jitter up to 0.1 can fix it.
	_, err := Fit([][]float64{{1, 2}, {2, 1}}, []float64{0, 1}, Config{})
	require.ErrorIs(t, err, ErrNotPositiveDefinite)
	assert.NotErrorIs(t, err, ErrInput)
	assert.Contains(t, err.Error(), "6 jitter tries")

	// Eigenvalues 2+e and -e with e = 1e-5: the noise (1e-6) does not
	// suffice, the jitters 1e-6 and then 1e-5 are tried, and the second
	// makes the smallest eigenvalue -1e-5 + 1e-6 + 1e-5 > 0.
	const e = 1e-5
	k := [][]float64{{1, 1 + e}, {1 + e, 1}}
	var logs bytes.Buffer
	m, err := Fit(k, []float64{0, 1}, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	assert.InDelta(t, 1e-5, m.Jitter(), 1e-18)
	assert.Equal(t, 2, m.N())
	assert.Contains(t, logs.String(), "gp: jitter added to kernel diagonal")
	assert.Contains(t, logs.String(), "jitter=")

	// The same with only one try allowed fails, and says how far it went.
	_, err = Fit(k, []float64{0, 1}, Config{MaxJitterTries: 1})
	require.ErrorIs(t, err, ErrNotPositiveDefinite)
	assert.Contains(t, err.Error(), "1 jitter tries up to 1e-06")
}

func TestFitSymMatchesFit(t *testing.T) {
	xs := []float64{0, 0.5, 0.5, 3}
	k := kernelMatrix(xs, 1)
	y := []float64{1, 2, 2.5, 0}
	sym := mat.NewSymDense(len(xs), nil)
	for i := range xs {
		for j := i; j < len(xs); j++ {
			sym.SetSym(i, j, k[i][j])
		}
	}
	a, err := Fit(k, y, Config{})
	require.NoError(t, err)
	b, err := FitSym(sym, y, Config{})
	require.NoError(t, err)
	ks := crossKernel(1.2, xs, 1)
	ma, sa := a.Predict(ks, 1)
	mb, sb := b.Predict(ks, 1)
	assert.Equal(t, ma, mb)
	assert.Equal(t, sa, sb)
}

func TestPredictPanicsOnWrongLength(t *testing.T) {
	m, err := Fit([][]float64{{1}}, []float64{2}, Config{})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "gp: Predict got 2 kernel values for a model of 1 observations", func() {
		m.Predict([]float64{1, 1}, 1)
	})
}

// TestFitKeepsNoReference checks that changing the inputs after Fit does not
// change the model.
func TestFitKeepsNoReference(t *testing.T) {
	k := kernelMatrix([]float64{0, 1}, 1)
	y := []float64{1, 3}
	m, err := Fit(k, y, Config{})
	require.NoError(t, err)
	before, _ := m.Predict(k[0], 1)
	k[0][0], y[0] = 5, 100
	after, _ := m.Predict([]float64{1, rbf(0, 1, 1)}, 1)
	assert.Equal(t, before, after)
}

// TestVarianceClamped feeds a prior variance smaller than what the data
// explain (as rounding in a kernel can), so the raw variance is negative: the
// deviation must be exactly zero, never NaN. A NaN prior variance also gives 0.
func TestVarianceClamped(t *testing.T) {
	k := kernelMatrix(twelve, 1)
	y := make([]float64, len(twelve))
	for i, x := range twelve {
		y[i] = x * x
	}
	m, err := Fit(k, y, Config{})
	require.NoError(t, err)
	for i := range twelve {
		for _, kss := range []float64{0.5, 1 - 1e-3, math.NaN()} {
			_, std := m.Predict(k[i], kss)
			assert.Equal(t, 0.0, std, "training point %d, kss %v", i, kss)
		}
	}
}
