package harness

import (
	"log/slog"
	"math"
	"time"
)

// Tracker follows an experiment made of several searches of known budget,
// to say how much time is left in all.
type Tracker struct {
	log    *slog.Logger
	budget time.Duration
	total  int
	done   int
	start  time.Time
	// took is the wall time of the searches finished in this process,
	// final training included, finished their number.
	took     time.Duration
	finished int
}

// NewTracker follows total searches of the given budget each; log nil
// means discard.
func NewTracker(log *slog.Logger, total int, budget time.Duration) *Tracker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Tracker{log: log, budget: budget, total: total, start: time.Now()}
}

// Start returns the progress of the next search, with attrs (searcher,
// data set, seed) on each of its lines.
func (t *Tracker) Start(attrs ...any) *Progress {
	t.done++
	log := t.log.With(attrs...)
	log.Info("search started", "search", t.done, "of", t.total,
		"elapsed", round(time.Since(t.start)), "time_left", round(t.left(t.budget)))
	return &Progress{t: t, log: log, start: time.Now()}
}

// Skip counts a search that will not run (missing data, already done).
func (t *Tracker) Skip() { t.done++ }

// left is an estimate of the time left: what remains of the current
// search's budget plus, for each search not started, the mean wall time of
// the searches finished so far (the budget while none has).
func (t *Tracker) left(current time.Duration) time.Duration {
	each := t.budget
	if t.finished > 0 {
		each = max(each, t.took/time.Duration(t.finished))
	}
	return max(current, 0) + time.Duration(t.total-t.done)*each
}

// Progress reports one search's progress.
type Progress struct {
	t     *Tracker
	log   *slog.Logger
	start time.Time
}

// OnModel logs one line after each model: models done, the best validation
// error so far, elapsed time and time left. It fits SearchJob.OnModel.
func (p *Progress) OnModel(st Status) {
	el := time.Since(p.start)
	p.log.Info("progress", "models", st.Models, "failed", st.Failed, "best_error", round4(st.Best),
		"elapsed", round(el), "time_left", round(p.t.left(p.t.budget-el)))
}

// Done logs the end of the search.
func (p *Progress) Done(attrs ...any) {
	el := time.Since(p.start)
	p.t.took += el
	p.t.finished++
	p.log.Info("search done", append(attrs, "elapsed", round(el), "time_left", round(p.t.left(0)))...)
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }

// round4 keeps four decimals of an error rate for log lines.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
