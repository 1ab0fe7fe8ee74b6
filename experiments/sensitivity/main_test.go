package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/morphnas/morphnas/datasets"
	"github.com/morphnas/morphnas/experiments/internal/fake"
	"github.com/morphnas/morphnas/experiments/internal/harness"
)

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-profile", "x"}, "-profile"},
		{[]string{"-dataset", "svhn"}, "-dataset"},
		{[]string{"-params", "beta,gamma"}, "-params"},
		{[]string{"-beta", "0.1,-1"}, "-beta"},
		{[]string{"-lambda", "1,nan"}, "-lambda"},
		{[]string{"-lambda", "1,1"}, "-lambda"},
		{[]string{"-seeds", "-3"}, "-seeds"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, &stdout, &stderr)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error()+stderr.String(), c.want)
	}
}

func needData(t *testing.T, name string) {
	t.Helper()
	if _, _, err := datasets.Load(name, datasets.Options{}); errors.Is(err, datasets.ErrNotFound) {
		t.Skipf("%s is not installed here: %v", name, err)
	}
}

// checkFiles checks the figure, the CSV and the JSON record a run wrote.
func checkFiles(t *testing.T, out string, rows int) Report {
	t.Helper()
	f, err := os.Open(filepath.Join(out, "fig4a.png"))
	require.NoError(t, err)
	img, _, err := image.Decode(f)
	f.Close()
	require.NoError(t, err)
	assert.Greater(t, img.Bounds().Dx(), img.Bounds().Dy(), "panels side by side")
	svg, err := os.ReadFile(filepath.Join(out, "fig4a.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "<svg")

	f, err = os.Open(filepath.Join(out, "sensitivity.csv"))
	require.NoError(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, []string{"param", "value", "seed", "val_error", "test_error", "models"}, recs[0])
	assert.Len(t, recs, 1+rows)

	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "sensitivity.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, "smoke", rep.Profile.Name)
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
	args := []string{"-profile", "smoke", "-beta", "0.01,1", "-lambda", "0.1,10", "-seeds", "2", "-out", out}
	require.NoError(t, run(context.Background(), args, &stdout, &stderr), stderr.String())
	assert.Equal(t, 2*2*2, e.Searches, "two values of two parameters, two seeds")
	assert.Equal(t, 8, e.Finals)
	rep := checkFiles(t, out, 8)
	require.Len(t, rep.Points, 4)

	// Each point's mean is the mean of its searches' test errors, read
	// back from their result files.
	for _, pt := range rep.Points {
		require.Len(t, pt.Errors, 2, pt)
		sum := 0.0
		for _, seed := range []string{"seed-1", "seed-2"} {
			var o harness.Outcome
			dir := filepath.Join(out, pt.Param+"-"+ftoa(pt.Value), seed)
			require.NoError(t, harness.ReadJSON(filepath.Join(dir, harness.ResultFile), &o))
			assert.Equal(t, "ak", o.Searcher)
			assert.Equal(t, pt.Value, o.Options[pt.Param], "the value reaches the searcher")
			sum += o.TestError
		}
		assert.InDelta(t, sum/2, pt.Mean, 1e-12)
		assert.Positive(t, pt.CI95)
	}
}

func TestSmokeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real models; skipped with -short")
	}
	needData(t, "mnist")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	// Validation errors only (-final=false), to keep the test short.
	err := run(context.Background(), []string{"-profile", "smoke", "-params", "beta", "-beta", "0.1,10", "-final=false",
		"-out", out}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	rep := checkFiles(t, out, 2)
	assert.Len(t, rep.Points, 2)
	assert.Equal(t, "validation error", rep.Metric)
}

// TestHelp runs main with -h in a child process of the test binary: the
// usage goes to stderr and the exit status is 0.
func TestHelp(t *testing.T) {
	if os.Getenv("EXPERIMENT_HELP_CHILD") == "1" {
		os.Args = []string{"sensitivity", "-h"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelp$")
	cmd.Env = append(os.Environ(), "EXPERIMENT_HELP_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "exit status of -h; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "Usage of sensitivity")
	assert.Contains(t, stderr.String(), "-profile")
	assert.NotContains(t, stderr.String(), "help requested")
}

// TestOneValue draws a panel of one value, whose log axis has no range of
// its own.
func TestOneValue(t *testing.T) {
	needData(t, "mnist")
	e := &fake.Engine{}
	old := newEngine
	newEngine = func() harness.Engine { return e }
	t.Cleanup(func() { newEngine = old })
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-profile", "smoke", "-params", "beta", "-beta", "1", "-final=false",
		"-out", out}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	rep := checkFiles(t, out, 1)
	require.Len(t, rep.Points, 1)
}
