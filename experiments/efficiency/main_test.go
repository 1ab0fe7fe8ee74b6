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
	"strings"
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
		{[]string{"-dataset", "mnist,fashion"}, "-dataset"},
		{[]string{"-dataset", "svhn"}, "-dataset"},
		{[]string{"-searchers", "ak,zz"}, "-searchers"},
		{[]string{"-seeds", "-1"}, "-seeds"},
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

// checkFiles checks what a run wrote to out for the searchers.
func checkFiles(t *testing.T, out string, searchers []string, seeds int) {
	t.Helper()
	for _, f := range []string{"fig4b.png", "fig4c.png"} {
		r, err := os.Open(filepath.Join(out, f))
		require.NoError(t, err)
		img, format, err := image.Decode(r)
		r.Close()
		require.NoError(t, err, f)
		assert.Equal(t, "png", format)
		assert.Greater(t, img.Bounds().Dx(), 100, f)
	}
	for _, f := range []string{"fig4b.svg", "fig4c.svg"} {
		data, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		assert.Contains(t, string(data), "<svg", f)
	}

	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(out, name))
		require.NoError(t, err)
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err)
		return recs
	}
	curves := read("curves.csv")
	assert.Equal(t, []string{"figure", "searcher", "x", "mean_error", "lo95", "hi95", "runs"}, curves[0])
	models := read("models.csv")
	assert.Equal(t, []string{"searcher", "seed", "model", "elapsed_s", "train_s", "val_error", "failed"}, models[0])
	for _, s := range searchers {
		n := 0
		for _, r := range models[1:] {
			if r[0] == s {
				n++
			}
		}
		assert.GreaterOrEqual(t, n, seeds, "models of %s", s)
	}

	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "efficiency.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, "smoke", rep.Profile.Name)
	assert.Equal(t, searchers, rep.Searchers)
	for _, s := range searchers {
		require.NotEmpty(t, rep.Models[s].X, s)
		assert.Equal(t, 1.0, rep.Models[s].X[0], "4b starts at the first model")
		assert.Equal(t, seeds, rep.Models[s].N[0], "every seed has a first model")
	}
}

func TestFiles(t *testing.T) {
	needData(t, "mnist")
	e := &fake.Engine{}
	old := newEngine
	newEngine = func() harness.Engine { return e }
	t.Cleanup(func() { newEngine = old })

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-profile", "smoke", "-out", out}, &stdout, &stderr), stderr.String())
	assert.Equal(t, 3*2, e.Searches, "AK, BFS, BO, two seeds by default for a band")
	assert.Zero(t, e.Finals, "no final training for the figures")
	checkFiles(t, out, []string{"ak", "bfs", "bo"}, 2)
	assert.Contains(t, stdout.String(), "AK")
	// The profile's note is this experiment's, not Table 1's.
	assert.NotContains(t, stdout.String(), "Table 1")
	assert.Contains(t, stdout.String(), "6 searches of up to 20s each, up to 2m0s of search in all;")

	// The band of 4b at the first model is the mean of both seeds' first
	// model costs, read back from the result files.
	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "efficiency.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	sum := 0.0
	for seed := 1; seed <= 2; seed++ {
		var o harness.Outcome
		require.NoError(t, harness.ReadJSON(filepath.Join(out, "ak", "seed-"+string(rune('0'+seed)), harness.ResultFile), &o))
		sum += o.Search.Models[0].Cost
	}
	assert.InDelta(t, sum/2, rep.Models["ak"].Mean[0], 1e-12)

	// Resume reads everything back.
	e.Searches = 0
	require.NoError(t, run(context.Background(), []string{"-profile", "smoke", "-out", out, "-resume"}, &stdout, &stderr))
	assert.Zero(t, e.Searches)

	// Resume at another profile: refused before anything is read back as
	// the other profile's, and the figures' files are left as they were.
	before, err := os.ReadFile(filepath.Join(out, "efficiency.json"))
	require.NoError(t, err)
	err = run(context.Background(), []string{"-profile", "quick", "-seeds", "2", "-out", out, "-resume"}, &stdout, &stderr)
	require.ErrorIs(t, err, harness.ErrOtherRun)
	assert.Contains(t, err.Error(), filepath.Join(out, "ak", "seed-1"))
	assert.Contains(t, err.Error(), "-profile smoke")
	assert.Zero(t, e.Searches)
	after, err := os.ReadFile(filepath.Join(out, "efficiency.json"))
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
}

// TestFailedSearch checks that a failed searcher is left out of the
// figures, with a warning and an error at the end, and the rest drawn.
func TestFailedSearch(t *testing.T) {
	needData(t, "mnist")
	e := &fake.Engine{Fail: map[string]bool{"bo": true}}
	old := newEngine
	newEngine = func() harness.Engine { return e }
	t.Cleanup(func() { newEngine = old })

	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-profile", "smoke", "-out", out}, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "2 searches failed")
	assert.Contains(t, err.Error(), "bo fails by request")
	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "efficiency.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Contains(t, rep.Models, "ak")
	assert.NotContains(t, rep.Models, "bo")
	assert.Contains(t, strings.Join(rep.Warnings, "\n"), "bo: no search finished")
	assert.FileExists(t, filepath.Join(out, "fig4b.png"))
}

func TestSmokeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real models; skipped with -short")
	}
	needData(t, "mnist")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	// Two searchers of three, to keep the test short.
	err := run(context.Background(), []string{"-profile", "smoke", "-searchers", "ak,bfs", "-out", out}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	checkFiles(t, out, []string{"ak", "bfs"}, 2)
	assert.True(t, strings.Contains(stdout.String(), "written:"))
}

// TestHelp runs main with -h in a child process of the test binary: the
// usage goes to stderr and the exit status is 0.
func TestHelp(t *testing.T) {
	if os.Getenv("EXPERIMENT_HELP_CHILD") == "1" {
		os.Args = []string{"efficiency", "-h"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelp$")
	cmd.Env = append(os.Environ(), "EXPERIMENT_HELP_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "exit status of -h; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "Usage of efficiency")
	assert.Contains(t, stderr.String(), "-profile")
	assert.NotContains(t, stderr.String(), "help requested")
}
