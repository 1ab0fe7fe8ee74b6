package harness

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/morphnas/morphnas/core/search"
	"github.com/morphnas/morphnas/plots"
)

// ResultFile is the name of the file, in a search's directory, that holds
// its finished [Outcome].
const ResultFile = "result.json"

// Outcome is one finished search with its final test: one seed of one
// table cell. It is written to ResultFile in the search's directory, and
// tables and figures are built from these files.
type Outcome struct {
	Searcher string             `json:"searcher"`
	Dataset  string             `json:"dataset"`
	Seed     uint64             `json:"seed"`
	Options  map[string]float64 `json:"options,omitempty"`
	Profile  Profile            `json:"profile"`
	Meta     Meta               `json:"meta"`
	Search   SearchResult       `json:"search"`
	// BestID and BestValError are the best model of the search and its
	// validation error.
	BestID       int     `json:"best_id"`
	BestValError float64 `json:"best_val_error"`
	// TestError is the error rate on the test set after the final
	// training; Tested says whether the final step ran.
	TestError float64 `json:"test_error"`
	Tested    bool    `json:"tested"`
	// Seconds is the wall time of search plus final training.
	Seconds float64 `json:"seconds"`
}

// CellJob is one search and, when Final is set, its final training.
type CellJob struct {
	SearchJob
	Final bool
	Meta  Meta
	// Tracker, if not nil, reports progress.
	Tracker *Tracker
}

// RunCell runs one search in job.Dir and, with job.Final, retrains its best
// model and tests it; it writes the outcome to ResultFile in job.Dir. With
// job.Resume a finished outcome found there is returned as it is, and an
// unfinished search is continued; a ResultFile that cannot be read counts
// as unfinished (the search's own files are intact), so the search is read
// back and its final step done again. On resume, a directory whose search
// was run with other settings than job's is an error wrapping ErrOtherRun.
// Without job.Resume a directory that already holds files is an error, so
// that no result is overwritten.
func RunCell(ctx context.Context, eng Engine, job CellJob) (*Outcome, error) {
	path := filepath.Join(job.Dir, ResultFile)
	log := job.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("searcher", job.Searcher, "dataset", job.Data.Name, "seed", job.Seed)
	if job.Resume {
		var done Outcome
		err := ReadJSON(path, &done)
		switch {
		case err == nil:
			if err := done.sameRun(job); err != nil {
				return nil, err
			}
			if done.Tested || !job.Final {
				if job.Tracker != nil {
					job.Tracker.Skip()
				}
				return &done, nil
			}
		case errors.Is(err, fs.ErrNotExist):
		default:
			log.Warn("result file unreadable; reading the search back and doing its final step again",
				"path", path, "err", err)
		}
	} else if ents, err := os.ReadDir(job.Dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("harness: %s already holds a search; continue it with -resume or choose another -out", job.Dir)
	}
	if err := os.MkdirAll(job.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}

	// Search.
	start := time.Now()
	var prog *Progress
	if job.Tracker != nil {
		prog = job.Tracker.Start("searcher", job.Searcher, "dataset", job.Data.Name, "seed", job.Seed)
		if job.OnModel == nil {
			job.OnModel = prog.OnModel
		}
		log = prog.log
	}
	res, err := eng.Search(ctx, job.SearchJob)
	if errors.Is(err, search.ErrMismatch) {
		return nil, fmt.Errorf("%w: %w; resume with the settings of that run, or choose another -out", ErrOtherRun, err)
	}
	if err != nil {
		return nil, fmt.Errorf("harness: search %s on %s, seed %d: %w", job.Searcher, job.Data.Name, job.Seed, err)
	}
	out := &Outcome{
		Searcher: job.Searcher, Dataset: job.Data.Name, Seed: job.Seed, Options: job.Options,
		Profile: job.Profile, Meta: job.Meta, Search: *res,
	}
	best := res.Best()
	if best == nil {
		return nil, fmt.Errorf("harness: search %s on %s, seed %d: no model trained successfully (%d tried)",
			job.Searcher, job.Data.Name, job.Seed, len(res.Models))
	}
	out.BestID, out.BestValError = best.ID, best.Cost

	// Final training on train + validation, one test.
	if job.Final {
		if best.Graph == nil {
			return nil, fmt.Errorf("harness: search %s on %s, seed %d: best model %d has no graph",
				job.Searcher, job.Data.Name, job.Seed, best.ID)
		}
		log.Info("final training started", "model_id", best.ID, "epochs", job.Profile.FinalEpochs)
		e, err := eng.Final(ctx, FinalJob{Graph: best.Graph, Data: job.Data, Profile: job.Profile,
			Seed: job.Seed, Logger: job.Logger})
		if err != nil {
			return nil, fmt.Errorf("harness: final training of %s's model %d on %s, seed %d: %w",
				job.Searcher, best.ID, job.Data.Name, job.Seed, err)
		}
		out.TestError, out.Tested = e, true
	}
	out.Seconds = time.Since(start).Seconds()
	if prog != nil {
		attrs := []any{"models", len(res.Models), "best_val_error", round4(best.Cost)}
		if out.Tested {
			attrs = append(attrs, "test_error", round4(out.TestError))
		}
		prog.Done(attrs...)
	}
	if err := WriteJSON(path, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Run returns the search's models as plots see them, for figures 4b and
// 4c.
func (o *Outcome) Run() plots.Run {
	r := plots.Run{Seed: o.Seed, Duration: o.Search.Seconds}
	for _, m := range o.Search.Models {
		r.Models = append(r.Models, plots.Model{Cost: m.Cost, Elapsed: m.Elapsed, Failed: m.Failed})
	}
	return r
}

// sameRun checks that the outcome o, read back on resume, was run with
// job's settings; the profile's note, which is words only, may differ.
func (o *Outcome) sameRun(job CellJob) error {
	had, want := o.Profile, job.Profile
	had.Note, want.Note = "", ""
	switch {
	case had.Name != want.Name:
		return fmt.Errorf("%w: %s holds a finished search run at profile %s, this run asks for profile %s; "+
			"resume with -profile %s, or choose another -out", ErrOtherRun, job.Dir, had.Name, want.Name, had.Name)
	case had != want:
		return fmt.Errorf("%w: %s holds a finished search run at profile %s as it was then (%s), "+
			"which differs from profile %s now (%s); choose another -out", ErrOtherRun, job.Dir, had.Name,
			had.Summary(), want.Name, want.Summary())
	case o.Searcher != job.Searcher || o.Dataset != job.Data.Name || o.Seed != job.Seed ||
		!maps.Equal(o.Options, job.Options):
		return fmt.Errorf("%w: %s holds a finished search of %s, this run asks for %s; "+
			"resume with the same settings, or choose another -out", ErrOtherRun, job.Dir,
			describe(o.Searcher, o.Dataset, o.Seed, o.Options), describe(job.Searcher, job.Data.Name, job.Seed, job.Options))
	}
	return nil
}

// describe says in words which search a directory holds.
func describe(searcher, dataset string, seed uint64, opts map[string]float64) string {
	s := fmt.Sprintf("searcher %s on %s with seed %d", searcher, dataset, seed)
	keys := slices.Sorted(maps.Keys(opts))
	for i, k := range keys {
		sep := ", "
		if i == 0 {
			sep = ", options "
		}
		s += sep + k + "=" + strconv.FormatFloat(opts[k], 'g', -1, 64)
	}
	return s
}
