package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	_ "image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/core/bayes"
	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/fake"
	"github.com/morphnas/morphnas/experiments/internal/harness"
)

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-from", filepath.Join(t.TempDir(), "none")}, "-from"},
		{[]string{"-lambda", "-1"}, "-lambda"},
		{[]string{"-length", "-1"}, "-length"},
		{[]string{"-length", "NaN"}, "-length"},
		{[]string{"-max-models", "-1"}, "-max-models"},
		{[]string{"-dataset", "svhn"}, "-dataset"},
		{[]string{"-profile", "x"}, "-profile"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error()+stderr.String(), c.want)
	}
}

func TestMatrices(t *testing.T) {
	assert.Equal(t, [][]float64{{0, -0.25}, {-0.25, 0}}, performance([]float64{0.5, 0.25}))

	n, warn := normalise([][]float64{{0, 2}, {4, 6}})
	assert.Empty(t, warn)
	assert.InDeltaSlice(t, []float64{-1, -1.0 / 3}, n[0], 1e-12)
	assert.InDeltaSlice(t, []float64{1.0 / 3, 1}, n[1], 1e-12)

	n, warn = normalise([][]float64{{3, 3}, {3, 3}})
	assert.Contains(t, warn, "all entries equal")
	assert.Equal(t, [][]float64{{1, 1}, {1, 1}}, n)

	// Two entries differ by 2 and two agree: (0 + 4 + 4 + 0) / 4.
	assert.Equal(t, 2.0, mse([][]float64{{1, -1}, {-1, 1}}, [][]float64{{1, 1}, {1, 1}}))
}

func needData(t *testing.T, name string) {
	t.Helper()
	if _, _, err := datasets.Load(name, datasets.Options{}); errors.Is(err, datasets.ErrNotFound) {
		t.Skipf("%s is not installed here: %v", name, err)
	}
}

// checkFiles checks the figure, the CSV and the record against each other
// and returns the record.
func checkFiles(t *testing.T, out string) Report {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "fig5.png"))
	require.NoError(t, err)
	img, _, err := image.Decode(f)
	f.Close()
	require.NoError(t, err)
	assert.InDelta(t, 2, float64(img.Bounds().Dx())/float64(img.Bounds().Dy()), 0.05, "two square panels")

	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "kernel.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	n := len(rep.IDs)
	require.GreaterOrEqual(t, n, 2)
	for i := range n {
		assert.InDelta(t, 1, rep.K[i][i], 1e-12, "kappa(f, f) = 1")
		assert.Zero(t, rep.P[i][i])
		assert.InDelta(t, 1, rep.PNorm[i][i], 1e-12, "the diagonal is the largest of P")
		for j := range n {
			assert.InDelta(t, rep.K[i][j], rep.K[j][i], 1e-12, "K symmetric")
			assert.True(t, rep.KNorm[i][j] >= -1-1e-12 && rep.KNorm[i][j] <= 1+1e-12)
		}
	}

	// The MSE, recomputed from the CSV.
	f, err = os.Open(filepath.Join(out, "matrices.csv"))
	require.NoError(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, []string{"i", "j", "id_i", "id_j", "k", "p", "k_norm", "p_norm"}, recs[0])
	require.Len(t, recs, 1+n*n)
	sum := 0.0
	for _, r := range recs[1:] {
		k, err1 := strconv.ParseFloat(r[6], 64)
		p, err2 := strconv.ParseFloat(r[7], 64)
		require.NoError(t, errors.Join(err1, err2))
		sum += (k - p) * (k - p)
	}
	assert.InDelta(t, rep.MSE, sum/float64(n*n), 1e-4, "CSV values have 6 digits")
	return rep
}

func TestFiles(t *testing.T) {
	needData(t, "mnist")
	e := &fake.Engine{}
	old := newEngine
	newEngine = func() harness.Engine { return e }
	t.Cleanup(func() { newEngine = old })

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-profile", "smoke", "-max-models", "5", "-out", out},
		&stdout, &stderr), stderr.String())
	rep := checkFiles(t, out)
	assert.Equal(t, []int{1, 2, 3, 4, 5}, rep.IDs)
	assert.Equal(t, "ak", rep.Searcher)
	assert.Contains(t, stdout.String(), "mean squared difference")

	// The same search read back with -from gives the same matrices.
	out2 := t.TempDir()
	require.NoError(t, run(context.Background(), []string{"-from", filepath.Join(out, "search"), "-out", out2},
		&stdout, &stderr))
	rep2 := checkFiles(t, out2)
	assert.Equal(t, rep.K, rep2.K)
	assert.Equal(t, rep.MSE, rep2.MSE)
	assert.Equal(t, 1.0, rep2.Lambda)

	// A search run with its own lambda is read with it, unless -lambda
	// says otherwise.
	path := filepath.Join(out, "search", harness.ResultFile)
	var o harness.Outcome
	require.NoError(t, harness.ReadJSON(path, &o))
	o.Options = map[string]float64{"lambda": 10}
	require.NoError(t, harness.WriteJSON(path, o))
	out3 := t.TempDir()
	require.NoError(t, run(context.Background(), []string{"-from", filepath.Join(out, "search"), "-out", out3},
		&stdout, &stderr))
	assert.Equal(t, 10.0, checkFiles(t, out3).Lambda)
	require.NoError(t, run(context.Background(), []string{"-from", filepath.Join(out, "search"), "-lambda", "1",
		"-out", out3}, &stdout, &stderr))
	assert.Equal(t, 1.0, checkFiles(t, out3).Lambda)

	// The length scale: chosen by likelihood when the search recorded none,
	// the search's own when it did, -length above both.
	assert.Equal(t, "likelihood", rep2.LengthFrom)
	require.Len(t, rep2.Lengths, len(bayes.DefaultLengths()))
	best, at1 := rep2.Lengths[0], math.NaN()
	for _, l := range rep2.Lengths {
		if l.LogML > best.LogML {
			best = l
		}
		if l.Length == 1 {
			at1 = l.LogML
		}
	}
	if at1 >= best.LogML-bayes.LengthMargin {
		best.Length = 1
	}
	assert.Equal(t, best.Length, rep2.Length, "the scale of highest likelihood, or 1 within the margin")
	o.Options = map[string]float64{"length": 3}
	require.NoError(t, harness.WriteJSON(path, o))
	require.NoError(t, run(context.Background(), []string{"-from", filepath.Join(out, "search"), "-out", out3},
		&stdout, &stderr))
	rep3 := checkFiles(t, out3)
	assert.Equal(t, 3.0, rep3.Length)
	assert.Equal(t, "search", rep3.LengthFrom)
	assert.Empty(t, rep3.Lengths)
	for _, l := range []float64{1, 2} {
		require.NoError(t, run(context.Background(), []string{"-from", filepath.Join(out, "search"), "-length",
			strconv.FormatFloat(l, 'g', -1, 64), "-out", out3}, &stdout, &stderr))
		repL := checkFiles(t, out3)
		assert.Equal(t, l, repL.Length)
		assert.Equal(t, "flag", repL.LengthFrom)
		// exp(-rho^2/l^2) is the l = 3 kernel to the power 9/l^2.
		for i := range repL.K {
			for j := range repL.K {
				assert.InDelta(t, math.Pow(rep3.K[i][j], 9/(l*l)), repL.K[i][j], 1e-12)
			}
		}
	}
}

// TestSmokeReal runs a real AK search, then reads the same directory back
// through core/search's store (its result file removed).
func TestSmokeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real models; skipped with -short")
	}
	needData(t, "mnist")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-profile", "smoke", "-max-models", "3", "-out", out},
		&stdout, &stderr), stderr.String())
	rep := checkFiles(t, out)

	dir := filepath.Join(out, "search")
	require.NoError(t, os.Remove(filepath.Join(dir, harness.ResultFile)))
	out2 := t.TempDir()
	require.NoError(t, run(context.Background(), []string{"-from", dir, "-out", out2}, &stdout, &stderr))
	rep2 := checkFiles(t, out2)
	assert.Equal(t, rep.IDs, rep2.IDs)
	assert.Equal(t, rep.MSE, rep2.MSE)
	assert.Equal(t, "smoke", rep2.Profile.Name, "the profile comes from the search's record")
}

// TestHelp runs main with -h in a child process of the test binary: the
// usage goes to stderr and the exit status is 0.
func TestHelp(t *testing.T) {
	if os.Getenv("EXPERIMENT_HELP_CHILD") == "1" {
		os.Args = []string{"kernel", "-h"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelp$")
	cmd.Env = append(os.Environ(), "EXPERIMENT_HELP_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "exit status of -h; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "Usage of kernel")
	assert.Contains(t, stderr.String(), "-profile")
	assert.NotContains(t, stderr.String(), "help requested")
}
