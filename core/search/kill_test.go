package search

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kill test runs searches in child processes: the test binary itself,
// started again with these variables set, runs killChild instead of the
// tests.
const (
	envChild = "SEARCH_KILL_CHILD" // the search directory
	envAt    = "SEARCH_KILL_AT"    // "point:n": stop at the n-th call of the hook at point
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envChild); dir != "" {
		os.Exit(killChild(dir, os.Getenv(envAt)))
	}
	os.Exit(m.Run())
}

// killOptions are the options of the searches of the kill test: twelve
// small models of four 2 ms epochs, one worker, a queue of one.
func killOptions(dir string) (Options, Searcher) {
	return Options{
		Dir: dir, Trainer: &fakeTrainer{epochs: 4, sleep: 2 * time.Millisecond}, Seed: 5,
		Apply: fakeApply, Budget: Budget{Models: 12}, Crashes: -1,
		Record: Record{Searcher: "seq", Profile: "smoke"},
	}, &seqSearcher{seed: 21, fresh: 3}
}

// killChild runs the search in dir. When at names a hook point and a count,
// it announces "STOP" on stdout when it gets there and waits to be killed.
func killChild(dir, at string) int {
	point, n, _ := strings.Cut(at, ":")
	want, _ := strconv.Atoi(n)
	var mu sync.Mutex
	count := map[string]int{}
	testHook = func(p string, id int) {
		mu.Lock()
		count[p]++
		hit := p == point && count[p] == want
		mu.Unlock()
		if hit {
			fmt.Printf("STOP %s %d\n", p, id)
			os.Stdout.Sync()
			time.Sleep(time.Minute)
		}
	}
	opts, s := killOptions(dir)
	if _, err := Run(context.Background(), s, opts); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("DONE")
	return 0
}

// runChild starts a child search and kills it with SIGKILL once it reports
// the stop point; without a stop point it lets it finish.
func runChild(t *testing.T, dir, at string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+dir, envAt+"="+at)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	stopped := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "STOP") || sc.Text() == "DONE" {
				stopped <- sc.Text()
				return
			}
		}
		stopped <- "eof"
	}()
	select {
	case line := <-stopped:
		if at == "" {
			err := cmd.Wait()
			require.Equal(t, "DONE", line, "stderr: %s", stderr.String())
			require.NoError(t, err)
			return
		}
		if !strings.HasPrefix(line, "STOP") {
			cmd.Wait()
			t.Fatalf("child did not reach %s: %s; stderr: %s", at, line, stderr.String())
		}
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		err := cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
		t.Logf("killed at %s (%s)", at, strings.TrimPrefix(line, "STOP "))
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child at %q timed out; stderr: %s", at, stderr.String())
	}
}

func TestKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	// The reference: the same search, uninterrupted, in this process.
	ref := t.TempDir()
	opts, s := killOptions(ref)
	_, err := Run(context.Background(), s, opts)
	require.NoError(t, err)

	// Ten kills at different moments, each followed by a resume in a new
	// process, then a last run to the end. The counts are per process.
	dir := t.TempDir()
	for _, at := range []string{
		"proposing:1",    // before the very first proposal
		"epoch:3",        // in the middle of training model 1
		"weights-half:1", // half of a weights file written
		"graph-half:2",   // half of a graph file written
		"saved:2",        // files renamed, observation not yet journaled
		"journal-half:5", // half of a journal line written
		"observed:2",     // right after an observation was synced
		"proposed:3",     // a proposal journaled, not yet trained
		"started:2",      // training just started
		"weights-half:3", // another weights file, later in the search
	} {
		runChild(t, dir, at)

		// The kill left what it should for the resume to repair.
		switch {
		case strings.HasPrefix(at, "journal-half"):
			data, err := os.ReadFile(filepath.Join(dir, journalFile))
			require.NoError(t, err)
			assert.NotEqual(t, byte('\n'), data[len(data)-1], "torn journal line")
		case strings.HasPrefix(at, "weights-half"):
			tmps, _ := filepath.Glob(filepath.Join(dir, modelsDir, "*.weights.tmp"))
			assert.NotEmpty(t, tmps, "half-written weights")
		}
	}
	runChild(t, dir, "")

	// The observed history equals the uninterrupted one, timings aside.
	a, err := Open(ref)
	require.NoError(t, err)
	b, err := Open(dir)
	require.NoError(t, err)
	ha, hb := a.History(), b.History()
	require.Len(t, ha.Observations, 12)
	require.Len(t, hb.Observations, 12)
	for i := range ha.Observations {
		oa, ob := ha.Observations[i], hb.Observations[i]
		oa.Seconds, ob.Seconds, oa.Elapsed, ob.Elapsed = 0, 0, 0, 0
		assert.Equal(t, oa, ob, "observation %d", i)
	}

	// No finished model is lost: every model's files are byte for byte those
	// of the uninterrupted run, and nothing half-written is left.
	for _, o := range ha.Observations {
		for _, ext := range []string{"json", "weights"} {
			wa, err := os.ReadFile(modelPath(ref, o.ID, ext))
			require.NoError(t, err)
			wb, err := os.ReadFile(modelPath(dir, o.ID, ext))
			require.NoError(t, err, "model %d lost", o.ID)
			assert.True(t, bytes.Equal(wa, wb), "model %d %s differs", o.ID, ext)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, modelsDir, "*.tmp"))
	assert.Empty(t, tmps)

	// No finished model is retrained: after its observation, a model never
	// starts again, and it is observed once.
	observed := map[int]bool{}
	starts := 0
	for _, e := range readEvents(t, dir) {
		switch e.Type {
		case evStart:
			starts++
			assert.False(t, observed[e.ID], "model %d started after it was observed", e.ID)
		case evObservation:
			assert.False(t, observed[e.ID], "model %d observed twice", e.ID)
			observed[e.ID] = true
		}
	}
	t.Logf("%d trainings started for 12 models over 11 sessions", starts)
	assert.Equal(t, 11, b.st.sessions)
}
