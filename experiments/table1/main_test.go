package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
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

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestFlags(t *testing.T) {
	cases := []struct {
		args []string
		want string // the flag the error must name
	}{
		{[]string{"-profile", "huge"}, "-profile"},
		{[]string{"-datasets", "mnist,svhn"}, "-datasets"},
		{[]string{"-datasets", ","}, "-datasets"},
		{[]string{"-searchers", "ak,nasbot"}, "-searchers"},
		{[]string{"-seeds", "-2"}, "-seeds"},
		{[]string{"-seeds", "two"}, "-seeds"},
		{[]string{"extra"}, "unexpected"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error()+stderr.String(), c.want)
			assert.Empty(t, stdout.String(), "nothing runs on a bad flag")
		})
	}
}

// useFake swaps the search stack for a fake one for the test's duration.
func useFake(t *testing.T) *fake.Engine {
	e := &fake.Engine{}
	old := newEngine
	newEngine = func() harness.Engine { return e }
	t.Cleanup(func() { newEngine = old })
	return e
}

// needData skips the test when a data set is not installed here.
func needData(t *testing.T, name string) {
	t.Helper()
	if _, _, err := datasets.Load(name, datasets.Options{}); errors.Is(err, datasets.ErrNotFound) {
		t.Skipf("%s is not installed here, so the table cannot be checked on it: %v", name, err)
	}
}

// TestTableFiles runs the whole program on the smoke profile with real
// MNIST data and a fake search stack, with CIFAR-10 looked for in an empty
// directory only, and checks every file it writes, then a resume and a
// refused overwrite.
func TestTableFiles(t *testing.T) {
	needData(t, "mnist")
	eng := useFake(t)
	out := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no cached CIFAR-10 either
	args := []string{"-profile", "smoke", "-datasets", "mnist,cifar10", "-seeds", "2", "-out", out}
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), args, &stdout, &stderr), stderr.String())
	assert.Equal(t, 8*2, eng.Searches, "8 searchers x 2 seeds on MNIST; CIFAR-10 is missing")
	assert.Equal(t, 8*2, eng.Finals)

	// Terminal: all nine rows of the paper.
	for _, r := range rows {
		assert.Contains(t, stdout.String(), harness.Label(r))
	}
	assert.Contains(t, stdout.String(), "profile smoke")
	assert.Contains(t, stderr.String(), "msg=progress", "progress lines go to stderr")
	// The time left counts only MNIST's 16 searches of 20 s, not
	// CIFAR-10's, which are not run.
	assert.Contains(t, stderr.String(), "search=1 of=16 elapsed=0s time_left=5m20s")

	// Markdown: header, nine rows, the missing column explained.
	md, err := os.ReadFile(filepath.Join(out, "table1.md"))
	require.NoError(t, err)
	lines := strings.Split(string(md), "\n")
	var table []string
	for _, l := range lines {
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
		}
	}
	require.Len(t, table, 2+9, "header, rule and nine method rows:\n%s", md)
	golden(t, "table-fake.md", strings.Join(table, "\n")+"\n")
	assert.Equal(t, "| Methods | MNIST | CIFAR10 |", table[0])
	assert.True(t, strings.HasPrefix(table[2], "| RANDOM | "), table[2])
	assert.True(t, strings.HasPrefix(table[10], "| AK | "), table[10])
	assert.Contains(t, table[10], "(paper 0.55%)")
	assert.Contains(t, table[10], "± ", "two seeds give an interval")
	assert.Contains(t, table[10], "| missing data (paper 11.44%) |")
	assert.Contains(t, string(md), "CIFAR10 missing: datasets: cifar10 not found")
	assert.Contains(t, string(md), "Produced by `go run ./experiments/table1 -profile smoke")

	// CSV: header and one line per method and data set.
	f, err := os.Open(filepath.Join(out, "table1.csv"))
	require.NoError(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	assert.Equal(t, harness.CSVHeader, recs[0])
	require.Len(t, recs, 1+9*2)
	for _, rec := range recs[1:] {
		if rec[1] == "MNIST" && rec[0] != "NASBOT" {
			assert.Equal(t, "2", rec[4], "two seeds in %v", rec)
			assert.Len(t, strings.Fields(rec[5]), 2, rec)
		} else {
			assert.Equal(t, "0", rec[4], rec)
			assert.NotEmpty(t, rec[7], "missing cells have a status: %v", rec)
			assert.NotEmpty(t, rec[8], "missing cells say why: %v", rec)
		}
	}

	// JSON: the profile and the record of the run, and the mean of each
	// cell equal to the mean of its outcomes' test errors.
	var rep Report
	data, err := os.ReadFile(filepath.Join(out, "table1.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.Equal(t, "smoke", rep.Profile.Name)
	assert.Equal(t, 64, rep.Profile.BatchSize)
	assert.NotEmpty(t, rep.Meta.GoVersion)
	assert.NotEmpty(t, rep.Meta.Commit)
	assert.Contains(t, rep.Missing["cifar10"], "to install it run")
	require.Len(t, rep.Outcomes, 16)
	sum := map[string]float64{}
	for _, o := range rep.Outcomes {
		assert.Equal(t, "smoke", o.Profile.Name, "every outcome records its profile")
		sum[o.Searcher] += o.TestError / 2
	}
	for _, r := range rep.Table.Rows {
		if r.Method != "NASBOT" {
			assert.InDelta(t, sum[strings.ToLower(r.Method)], r.Cells[0].Mean, 1e-12, r.Method)
		}
	}
	assert.FileExists(t, filepath.Join(out, "mnist", "ak", "seed-2", harness.ResultFile))

	// Resume: everything is read back, nothing searched again.
	eng.Searches, eng.Finals = 0, 0
	stdout.Reset()
	require.NoError(t, run(context.Background(), append(args, "-resume"), &stdout, &stderr))
	assert.Zero(t, eng.Searches)
	md2, err := os.ReadFile(filepath.Join(out, "table1.md"))
	require.NoError(t, err)
	assert.Equal(t, table, tableLines(string(md2)), "the same table after a resume")

	// Without -resume an existing search is not overwritten.
	err = run(context.Background(), args, &stdout, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-resume")
}

// TestStopResume stops the program in its third search, as Ctrl-C would,
// and resumes it: the two finished searches are read back, the rest run,
// and the table is whole.
func TestStopResume(t *testing.T) {
	needData(t, "mnist")
	eng := useFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng.OnSearch = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	out := t.TempDir()
	args := []string{"-profile", "smoke", "-datasets", "mnist", "-out", out}
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, &stdout, &stderr)
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "-resume")
	assert.NoFileExists(t, filepath.Join(out, "table1.md"), "no table from a stopped run")

	eng.OnSearch = nil
	eng.Searches = 0
	require.NoError(t, run(context.Background(), append(args, "-resume"), &stdout, &stderr), stderr.String())
	assert.Equal(t, 8-2, eng.Searches, "the two finished searches are not run again")
	md, err := os.ReadFile(filepath.Join(out, "table1.md"))
	require.NoError(t, err)
	for _, l := range tableLines(string(md))[2:] {
		if !strings.HasPrefix(l, "| NASBOT") {
			assert.Regexp(t, `^\| [A-Z]+ \| \d+\.\d\d% \(paper`, l)
		}
	}
}

// TestNothingRan checks that a run in which no search produced a result
// fails and writes no table: every data set missing, or every search
// failed.
func TestNothingRan(t *testing.T) {
	needData(t, "mnist")
	eng := useFake(t)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // no cached CIFAR-10
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing data", []string{"-datasets", "cifar10"}, "cifar10 not found"},
		{"failed searches", []string{"-datasets", "mnist", "-searchers", "ak,bo"}, "fails by request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			eng.Fail = map[string]bool{"ak": true, "bo": true}
			out := t.TempDir()
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append(c.args, "-profile", "smoke", "-out", out), &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "no search produced a result")
			assert.Contains(t, err.Error(), c.want)
			assert.NoFileExists(t, filepath.Join(out, "table1.md"))
			assert.Contains(t, stdout.String(), "│ AK", "the table is still shown")
		})
	}
}

// TestResumeOtherProfile resumes a smoke run's directory at the quick
// profile: refused with the directory and both profiles named, and the
// smoke table is left as it was rather than relabelled.
func TestResumeOtherProfile(t *testing.T) {
	needData(t, "mnist")
	eng := useFake(t)
	out := t.TempDir()
	args := []string{"-datasets", "mnist", "-searchers", "ak,bfs", "-out", out}
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), append(args, "-profile", "smoke"), &stdout, &stderr), stderr.String())
	before, err := os.ReadFile(filepath.Join(out, "table1.json"))
	require.NoError(t, err)

	eng.Searches, eng.Finals = 0, 0
	err = run(context.Background(), append(args, "-profile", "quick", "-resume"), &stdout, &stderr)
	require.ErrorIs(t, err, harness.ErrOtherRun)
	for _, want := range []string{filepath.Join(out, "mnist", "ak", "seed-1"), "profile smoke", "profile quick",
		"-profile smoke", "another -out"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Zero(t, eng.Searches+eng.Finals)
	after, err := os.ReadFile(filepath.Join(out, "table1.json"))
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "the smoke table is not rewritten")
}

// golden compares got with testdata/name, or rewrites it with -update.
// The fake engine's errors are drawn from fixed seeds, so the table's rows
// are the same on every run.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

func tableLines(md string) []string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "|") {
			out = append(out, l)
		}
	}
	return out
}

// TestSmokeReal runs Table 1 on the smoke profile with the real search
// stack on real MNIST, with three searchers to keep it short (random, SPMT
// and SMAC draw networks that take tens of seconds an epoch on 2 cores).
func TestSmokeReal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real models; skipped with -short")
	}
	needData(t, "mnist")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-profile", "smoke", "-datasets", "mnist", "-searchers", "grid,bfs,ak",
		"-out", out}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	md, err := os.ReadFile(filepath.Join(out, "table1.md"))
	require.NoError(t, err)
	lines := tableLines(string(md))
	require.Len(t, lines, 2+9)
	for _, l := range lines[2:] {
		switch {
		case strings.HasPrefix(l, "| GRID"), strings.HasPrefix(l, "| BFS"), strings.HasPrefix(l, "| AK"):
			assert.Regexp(t, `^\| [A-Z]+ \| \d+\.\d\d% \(paper`, l)
		case strings.HasPrefix(l, "| NASBOT"):
			assert.Contains(t, l, "| NA (paper NA) |")
		default:
			assert.Contains(t, l, "| not run (paper ")
		}
	}
	assert.Contains(t, stderr.String(), "msg=progress")
}

// TestHelp runs main with -h in a child process of the test binary: the
// usage goes to stderr and the exit status is 0.
func TestHelp(t *testing.T) {
	if os.Getenv("EXPERIMENT_HELP_CHILD") == "1" {
		os.Args = []string{"table1", "-h"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelp$")
	cmd.Env = append(os.Environ(), "EXPERIMENT_HELP_CHILD=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "exit status of -h; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "Usage of table1")
	assert.Contains(t, stderr.String(), "-profile")
	assert.NotContains(t, stderr.String(), "help requested")
}
