package search

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// Record describes a run; it is written to run.json when the directory is
// created. The caller fills Searcher, Settings, Profile and Dataset; Run
// fills the rest.
type Record struct {
	// Searcher is the registry name of the searcher.
	Searcher string `json:"searcher"`
	// Settings are the searcher's settings as the caller chose to record
	// them, any JSON value.
	Settings json.RawMessage `json:"settings,omitempty"`
	// Seed is Options.Seed.
	Seed uint64 `json:"seed"`
	// Profile is the named scale of DESIGN.md: smoke, quick, cpu or paper.
	Profile string `json:"profile,omitempty"`
	// Dataset names the data the models train on.
	Dataset string `json:"dataset,omitempty"`
	// Code is the code version: the VCS revision built into the binary
	// (with "+dirty" when modified), else `git describe`, else "unknown".
	Code string `json:"code"`
	// Go is the Go version, OS and architecture.
	Go string `json:"go"`
	// CPU is the processor model from /proc/cpuinfo and the core count.
	CPU     string    `json:"cpu"`
	Created time.Time `json:"created"`
}

// fillRecord completes r with what the process knows about itself.
func fillRecord(r *Record, seed uint64) {
	r.Seed = seed
	r.Code = codeVersion()
	r.Go = runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	r.CPU = cpuModel()
	r.Created = time.Now().UTC()
}

// codeVersion returns the VCS revision stamped into the binary, or else
// what `git describe` says in the working directory, or "unknown".
func codeVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, mod string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				mod = s.Value
			}
		}
		if rev != "" {
			if mod == "true" {
				rev += "+dirty"
			}
			return rev
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "describe", "--always", "--dirty").Output()
	if err == nil {
		if s := strings.TrimSpace(string(out)); s != "" {
			return s
		}
	}
	return "unknown"
}

// cpuModel returns the first "model name" of /proc/cpuinfo and the number
// of logical CPUs, e.g. "AMD EPYC 7B13 (2 cpus)".
func cpuModel() string {
	name := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), ":")
			if ok && strings.TrimSpace(k) == "model name" {
				name = strings.TrimSpace(v)
				break
			}
		}
	}
	return name + " (" + strconv.Itoa(runtime.NumCPU()) + " cpus)"
}
