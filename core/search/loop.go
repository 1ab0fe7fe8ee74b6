package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/morphnas/morphnas/core/graph"
)

// errCutShort is the cancellation cause of a trial stopped at the deadline.
var errCutShort = errors.New("search: cut short at the deadline")

// loop is one call of Run. Its state changes only in Run's goroutine; the
// proposer and the trials run in their own and report through channels.
type loop struct {
	// discarded counts the proposals discarded in a row without training
	// (unbuildable, duplicate, too large); see maxDiscarded.
	discarded int

	opts Options
	s    Searcher
	dir  string
	log  *slog.Logger
	j    *journal
	jf   *os.File
	lock *os.File
	st   *state

	queue     []int               // ids ready to train, in order
	running   map[int]func()      // id -> cancel with errCutShort
	saving    map[int]bool        // trained, files being written
	seq       map[int]int         // id -> order of start in this call, from 1
	done      map[int]trialResult // finished, waiting for an earlier model
	proposing bool
	askedOpen bool // the history of the proposal asked for lists pending models
	exhausted bool // the searcher has nothing more, with nothing in flight
	waitIdle  bool // the searcher had nothing now: ask again when all is observed
	stopping  bool // deadline passed: start nothing more
	stop      Stop
	trained   int // trials finished this session
	begin     time.Time
	deadline  time.Time

	// propose is the searcher's context, cancelled at the deadline so that
	// a slow proposal does not hold up the end of the search.
	propose       context.Context
	cancelPropose context.CancelFunc

	proposals chan proposed
	results   chan trialResult
	idle      idleMeter
}

// proposed is what the proposer goroutine hands back.
type proposed struct {
	p   Proposal
	err error
}

// trialResult is what a trial goroutine hands back: first with trained
// set, as soon as the trainer is free, then the outcome once saved.
type trialResult struct {
	id      int
	trained bool
	out     Outcome
	reason  string // empty on success, else one of the Reason constants
	err     error
	stack   string
	curve   []Epoch
	seconds float64
}

// Run searches: it asks s for proposals, trains them with opts.Trainer and
// records everything in opts.Dir, until the budget is spent, the searcher is
// exhausted or ctx is cancelled. Called on a directory that holds a search,
// it resumes it (see the package documentation). It returns the result with
// a nil error when the search stopped by its budget or exhaustion; with
// ctx's error when cancelled (trials in flight are then not recorded and
// train again on resume); with an error wrapping ErrBudget, and the result,
// when the budget was spent before the call; and with other errors for
// storage failures, a mismatched directory, or a searcher error other than
// ErrExhausted. Failed trials are not errors: they are observations.
func Run(ctx context.Context, s Searcher, opts Options) (*Result, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	l, err := open(opts)
	if err != nil {
		return nil, err
	}
	l.s = s
	defer l.close()
	return l.run(ctx)
}

// open prepares the directory: lock, record, journal replay, clean-up.
func open(opts Options) (*loop, error) {
	l := &loop{opts: opts, dir: opts.Dir, log: opts.Logger, running: map[int]func(){}, saving: map[int]bool{}, seq: map[int]int{},
		done: map[int]trialResult{}}
	if err := os.MkdirAll(filepath.Join(l.dir, modelsDir), 0o755); err != nil {
		return nil, fmt.Errorf("search: create directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(l.dir, lockFile))
	if err != nil {
		return nil, err
	}
	l.lock = lock
	ok := false
	defer func() {
		if !ok {
			l.close()
		}
	}()
	if err := l.checkRecord(); err != nil {
		return nil, err
	}

	// Replay the journal and cut off a line torn by a crash.
	path := filepath.Join(l.dir, journalFile)
	st, good, err := readJournal(path)
	if err != nil {
		return nil, err
	}
	l.st = st
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("search: open journal: %w", err)
	}
	l.jf, l.j = f, &journal{f: f}
	if fi, err := f.Stat(); err == nil && fi.Size() > good {
		l.log.Warn("torn journal line discarded", "bytes", fi.Size()-good)
		if err := f.Truncate(good); err != nil {
			return nil, fmt.Errorf("search: truncate journal: %w", err)
		}
	}
	if err := l.cleanModels(); err != nil {
		return nil, err
	}
	ok = true
	return l, nil
}

// checkRecord writes run.json for a new directory, or checks that the
// stored one belongs to the same run.
func (l *loop) checkRecord() error {
	path := filepath.Join(l.dir, recordFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		rec := l.opts.Record
		fillRecord(&rec, l.opts.Seed)
		js, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return fmt.Errorf("search: encode run record: %w", err)
		}
		return writeAtomic([]fileData{{path, append(js, '\n'), ""}}, 0)
	}
	if err != nil {
		return fmt.Errorf("search: read run record: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return fmt.Errorf("search: decode %s: %w", path, err)
	}
	o := l.opts.Record
	switch {
	case rec.Seed != l.opts.Seed:
		return fmt.Errorf("%w: %s has seed %d, options %d", ErrMismatch, l.dir, rec.Seed, l.opts.Seed)
	case o.Searcher != "" && o.Searcher != rec.Searcher:
		return fmt.Errorf("%w: %s has searcher %q, options %q", ErrMismatch, l.dir, rec.Searcher, o.Searcher)
	case o.Profile != "" && o.Profile != rec.Profile:
		return fmt.Errorf("%w: %s has profile %q, options %q", ErrMismatch, l.dir, rec.Profile, o.Profile)
	case o.Dataset != "" && o.Dataset != rec.Dataset:
		return fmt.Errorf("%w: %s has dataset %q, options %q", ErrMismatch, l.dir, rec.Dataset, o.Dataset)
	}
	return nil
}

// cleanModels removes what an interrupted run left in the models folder:
// temporary files, files of models without an observation (saved just
// before a crash; they train again), and weights that fail their checksum.
// A successful model whose weights are missing or damaged is journaled as
// dropped, so it is never used as a parent. This reads every stored model
// once.
func (l *loop) cleanModels() error {
	dir := filepath.Join(l.dir, modelsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("search: read models: %w", err)
	}
	present := map[int]bool{}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		id, err := strconv.Atoi(name[:strings.IndexByte(name+".", '.')])
		i, observed := l.st.obsIndex[id]
		switch {
		case strings.HasSuffix(name, ".tmp"):
			l.log.Warn("half-written file discarded", "file", name)
			os.Remove(path)
		case err != nil:
			// Not ours; leave it.
		case !observed || l.st.obs[i].Failed:
			l.log.Warn("file of unfinished model discarded", "file", name)
			os.Remove(path)
		case strings.HasSuffix(name, ".weights"):
			present[id] = true
		}
	}
	for _, o := range l.st.obs {
		if o.Failed || l.st.dropped[o.ID] {
			continue
		}
		why := "missing"
		if present[o.ID] {
			_, err := loadModel(l.dir, o.ID)
			if err == nil {
				continue
			}
			why = err.Error()
			os.Remove(modelPath(l.dir, o.ID, "weights"))
		}
		l.log.Warn("weights of finished model lost", "model_id", o.ID, "reason", why)
		if err := l.record(&event{Type: evDrop, ID: o.ID, Kind: "lost", Error: why}, true); err != nil {
			return err
		}
	}
	return nil
}

func (l *loop) close() {
	if l.jf != nil {
		l.jf.Close()
	}
	if l.lock != nil {
		l.lock.Close()
	}
}

// record journals an event and applies it to the state.
func (l *loop) record(e *event, sync bool) error {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	if err := l.j.append(e, sync); err != nil {
		return err
	}
	l.st.apply(e)
	return nil
}

// crashed records as out of memory the pending models whose training
// began Options.Crashes times in earlier sessions without an end: the
// process died each time.
func (l *loop) crashed() error {
	if l.opts.Crashes < 0 {
		return nil
	}
	for _, id := range l.st.pending() {
		if n := l.st.starts[id]; n >= l.opts.Crashes {
			err := fmt.Errorf("the process died %d times while training it", n)
			if err := l.observe(trialResult{id: id, reason: ReasonOutOfMemory, err: err}); err != nil {
				return err
			}
		}
	}
	return nil
}

// bound is the memory bound in force: the smaller of the option and the
// stored bound, zero for none.
func (l *loop) bound() int64 {
	b, o := l.st.bound, l.opts.MemoryLimit
	if b == 0 || (o > 0 && o < b) {
		return o
	}
	return b
}

// used is the number of models that count against Budget.Models: those that
// started training, and those pending that will.
func (l *loop) used() int {
	return l.finished() + len(l.st.pending())
}

// finished is the number of models whose training ended, failed or not.
func (l *loop) finished() int {
	n := 0
	for _, o := range l.st.obs {
		if l.st.started[o.ID] {
			n++
		}
	}
	return n
}

func (l *loop) countLeft() bool {
	return l.opts.Budget.Models == 0 || l.used() < l.opts.Budget.Models
}

func (l *loop) run(ctx context.Context) (*Result, error) {
	l.begin = time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.propose, l.cancelPropose = context.WithCancel(ctx)
	defer l.cancelPropose()
	l.proposals = make(chan proposed, 1)
	l.results = make(chan trialResult, 2*l.opts.Workers)
	l.idle = idleMeter{workers: l.opts.Workers, last: l.begin}
	budget := l.opts.Budget
	if err := l.record(&event{Type: evSession, Budget: &budget, Bound: l.bound()}, true); err != nil {
		return nil, err
	}
	if err := l.crashed(); err != nil {
		return nil, err
	}
	l.queue = l.st.pending()

	// The budget may be spent already.
	var deadlineC, graceC <-chan time.Time
	if budget.Time > 0 {
		left := budget.Time - l.st.elapsed
		if left <= 0 {
			return l.result(StopTime), fmt.Errorf("%w: %v of %v used", ErrBudget, l.st.elapsed, budget.Time)
		}
		l.deadline = l.begin.Add(left)
		t := time.NewTimer(left)
		defer t.Stop()
		deadlineC = t.C
	}
	if n := l.finished(); budget.Models > 0 && n >= budget.Models && len(l.queue) == 0 {
		return l.result(StopModels), fmt.Errorf("%w: %d of %d models trained", ErrBudget, n, budget.Models)
	}
	tick := time.NewTicker(l.opts.ProgressEvery)
	defer tick.Stop()

	var fatal error
	for {
		if err := l.fill(ctx); err != nil {
			fatal = err
			break
		}
		if len(l.running) == 0 && len(l.saving) == 0 && !l.proposing && (l.stopping || len(l.queue) == 0) {
			break
		}
		select {
		case p := <-l.proposals:
			l.proposing = false
			fatal = l.accept(ctx, p)
		case r := <-l.results:
			fatal = l.finish(r)
		case <-deadlineC:
			deadlineC = nil
			l.stopping, l.stop = true, StopTime
			l.cancelPropose()
			l.log.Info("search deadline", "running", len(l.running), "grace", l.opts.Grace)
			if l.opts.Grace > 0 {
				t := time.NewTimer(l.opts.Grace)
				defer t.Stop()
				graceC = t.C
			} else {
				l.cutAll()
			}
		case <-graceC:
			graceC = nil
			l.cutAll()
		case <-tick.C:
			l.progress()
		case <-ctx.Done():
			fatal = ctx.Err()
		}
		if fatal != nil {
			break
		}
	}
	if fatal != nil {
		// Stop everything in flight; what was not observed trains again
		// on resume.
		cancel()
		l.drain()
		return l.result(StopCanceled), fatal
	}

	stop := l.stop
	switch {
	case stop != "":
	case l.exhausted:
		stop = StopExhausted
	default:
		stop = StopModels
	}
	res := l.result(stop)
	err := l.record(&event{Type: evEnd, Stop: stop, Elapsed: res.Elapsed.Seconds(), Idle: res.Idle.Seconds()}, true)
	l.progress()
	l.log.Info("search stopped", "stop", stop, "trained", res.Trained, "elapsed", res.Elapsed,
		"idle", res.Idle, "models", len(res.History.Observations))
	return res, err
}

// fill starts trials on free workers and asks for a proposal when the queue
// has room and the budget allows one more model.
func (l *loop) fill(ctx context.Context) error {
	for !l.stopping && len(l.running) < l.opts.Workers && len(l.queue) > 0 {
		id := l.queue[0]
		l.queue = l.queue[1:]
		if err := l.startTrial(ctx, id); err != nil {
			return err
		}
	}
	more := !l.stopping && !l.exhausted && l.countLeft()
	l.idle.setActive(more || (!l.stopping && len(l.queue) > 0))
	if !more {
		return nil
	}
	if l.waitIdle && !l.inFlight() {
		l.waitIdle = false
		if err := l.record(&event{Type: evReveal, ID: l.st.latest}, false); err != nil {
			return err
		}
	}
	if !l.proposing && !l.waitIdle && len(l.queue) < l.opts.Queue && !l.waitSaving() {
		l.proposing = true
		h := l.snapshot()
		l.askedOpen = len(h.Pending) > 0
		next := l.st.maxID + 1
		go func() {
			var p Proposal
			err := func() (err error) {
				defer func() {
					if v := recover(); v != nil {
						err = fmt.Errorf("search: searcher panicked: %v\n%s", v, debug.Stack())
					}
				}()
				hook("proposing", next)
				p, err = l.s.Propose(l.propose, h)
				return err
			}()
			l.proposals <- proposed{p, err}
		}()
	}
	return nil
}

// The history a searcher sees does not depend on timing, with one worker
// and a queue of one. A proposal is asked for once the latest model started
// (after the previous one finished training, while it is being saved) and
// every model started before it is observed. The snapshot shows that latest
// model as pending even when it is already observed: whether its result
// came back before the searcher was asked, or before its answer was
// accepted, is a matter of timing. The latest model is the one of the last
// start event in the journal, over all sessions, so that a resumed search
// hides the same model as an uninterrupted one would have, whether or not
// the proposal asked for before the interruption was journaled.
//
// When the searcher answers ErrExhausted to a history that lists pending
// models, it is asked again once every model is observed, with the whole
// history: a reveal event in the journal then shows the latest model as
// observed until the next one starts. Whether it waits depends on the
// history it was given, not on what finished meanwhile.

// inFlight reports whether a model is queued, training, or not yet
// observed.
func (l *loop) inFlight() bool {
	return len(l.queue)+len(l.running)+len(l.saving)+len(l.done) > 0
}

// waitSaving reports whether a model started before the latest one is
// still being saved.
func (l *loop) waitSaving() bool {
	latest := len(l.seq)
	for id := range l.saving {
		if l.seq[id] < latest {
			return true
		}
	}
	return false
}

// snapshot returns the history for the next proposal: every observation and
// pending proposal, with the latest started model shown as pending unless a
// reveal followed its start.
func (l *loop) snapshot() *History {
	h := l.st.history()
	hide := l.st.latest
	i, observed := l.st.obsIndex[hide]
	if hide == 0 || l.st.revealed || !observed {
		return h
	}
	p := l.st.props[hide]
	h.Observations = slices.Delete(h.Observations, i, i+1)
	h.Pending = append(h.Pending, Pending{ID: hide, Proposal: *p.Proposal, Graph: p.Graph, Hash: p.Hash})
	slices.SortFunc(h.Pending, func(a, b Pending) int { return a.ID - b.ID })
	return h
}

// accept gives a new proposal its id, journals it, and queues it unless it
// is discarded: unbuildable, a duplicate, or above the memory bound.
func (l *loop) accept(ctx context.Context, pr proposed) error {
	if pr.err != nil {
		if errors.Is(pr.err, ErrExhausted) {
			// The results of the models it saw as pending may give the
			// searcher something new to propose.
			if l.askedOpen {
				l.waitIdle = true
			} else {
				l.exhausted = true
				l.log.Info("searcher exhausted")
			}
			return l.retain()
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case l.stopping && l.propose.Err() != nil:
			return nil // cut at the deadline
		}
		return fmt.Errorf("search: propose: %w", pr.err)
	}
	p := pr.p
	id := l.st.maxID + 1
	g, hash, est, berr := l.resolve(&p)
	if err := l.record(&event{Type: evProposal, ID: id, Proposal: &p, Graph: g, Hash: hash, Estimate: est}, false); err != nil {
		return err
	}
	hook("proposed", id)
	var reason string
	var why error
	if first := l.st.hashes[hash]; berr == nil && first != id {
		reason, why = ReasonDuplicate, fmt.Errorf("same architecture as model %d", first)
	}
	switch {
	case berr != nil:
		reason, why = ReasonBuild, berr
	case reason != "":
	case l.bound() > 0 && est > l.bound():
		reason, why = ReasonTooLarge, fmt.Errorf("estimate %d bytes exceeds bound %d", est, l.bound())
	default:
		l.discarded = 0
		l.queue = append(l.queue, id)
		return l.retain()
	}
	l.discarded++
	if l.discarded >= maxDiscarded {
		// Discarded proposals cost no model of the budget, so a searcher
		// that makes nothing else would otherwise loop for ever.
		l.exhausted = true
		l.log.Warn("searcher treated as exhausted: every recent proposal was discarded", "in_a_row", l.discarded)
	}
	return l.observe(trialResult{id: id, reason: reason, err: why})
}

// maxDiscarded is the number of proposals discarded in a row after which
// the searcher is treated as exhausted.
const maxDiscarded = 50

// resolve returns the bare architecture a proposal leads to, its hash and
// its memory estimate.
func (l *loop) resolve(p *Proposal) (*graph.Graph, string, int64, error) {
	var g *graph.Graph
	switch {
	case p.Parent == 0 && p.Graph == nil:
		return nil, "", 0, errors.New("proposal has neither a parent nor a graph")
	case p.Parent == 0 && len(p.Ops) > 0:
		return nil, "", 0, errors.New("proposal has operations but no parent")
	case p.Parent == 0:
		g = p.Graph.Clone(false)
	default:
		i, ok := l.st.obsIndex[p.Parent]
		switch {
		case !ok:
			return nil, "", 0, fmt.Errorf("parent %d not observed", p.Parent)
		case l.st.obs[i].Failed:
			return nil, "", 0, fmt.Errorf("parent %d failed", p.Parent)
		case l.st.dropped[p.Parent]:
			return nil, "", 0, fmt.Errorf("weights of parent %d removed", p.Parent)
		}
		g = l.st.obs[i].Graph.Clone(false)
		if err := l.opts.Apply(g, p.Ops, nil); err != nil {
			return nil, "", 0, fmt.Errorf("apply operations to parent %d: %w", p.Parent, err)
		}
	}
	if err := g.Validate(); err != nil {
		return nil, "", 0, err
	}
	est, err := g.MemoryBytes(l.batch(p.Settings))
	if err != nil {
		return nil, "", 0, err
	}
	return g, g.Hash(), est, nil
}

func (l *loop) batch(s *Settings) int {
	if s != nil && s.BatchSize > 0 {
		return s.BatchSize
	}
	return l.opts.Batch
}

// startTrial launches the training of a queued model, unless the memory
// bound dropped below its estimate since it was proposed.
func (l *loop) startTrial(ctx context.Context, id int) error {
	pe := l.st.props[id]
	if b := l.bound(); b > 0 && pe.Estimate > b {
		return l.observe(trialResult{id: id, reason: ReasonTooLarge,
			err: fmt.Errorf("estimate %d bytes exceeds bound %d", pe.Estimate, b)})
	}
	if err := l.record(&event{Type: evStart, ID: id, Idle: l.idle.value().Seconds()}, false); err != nil {
		return err
	}
	l.seq[id] = len(l.seq) + 1
	hook("started", id)
	tctx, cancel := context.WithCancelCause(ctx)
	l.running[id] = func() { cancel(errCutShort) }
	l.log.Info("trial started", "model_id", id, "parent", pe.Proposal.Parent, "ops", len(pe.Proposal.Ops))
	job := Job{
		ID: id, Settings: pe.Proposal.Settings, MaxEpochs: l.opts.Budget.Epochs,
		Seed: trialSeed(l.opts.Seed, id), MemoryLimit: l.bound(),
	}
	prop := *pe.Proposal
	go func() {
		defer cancel(nil)
		r := l.trial(tctx, prop, job)
		if r.reason == "" && r.err == nil {
			// Free the worker, then save before the observation is
			// journaled. A failure frees it only once observed, so that
			// a lowered memory bound applies to the next model.
			l.results <- trialResult{id: id, trained: true}
			if err := saveModel(l.dir, id, r.out.Graph); err != nil {
				r.reason, r.err = ReasonError, fmt.Errorf("save: %w", err)
			}
			hook("saved", id)
		}
		l.results <- r
	}()
	return nil
}

// trial builds and trains one model; it runs in its own goroutine and
// touches no loop state but the journal.
func (l *loop) trial(ctx context.Context, p Proposal, job Job) (r trialResult) {
	r.id = job.ID
	g, err := l.build(p, job.Seed)
	if err != nil {
		r.reason, r.err = ReasonBuild, err
		return r
	}
	job.Graph = g
	job.OnEpoch = func(e Epoch) {
		r.curve = append(r.curve, e)
		hook("epoch", job.ID)
		l.log.Debug("epoch", "model_id", job.ID, "epoch", e.Epoch, "train_loss", e.TrainLoss,
			"val_loss", e.ValLoss, "val_accuracy", e.ValAccuracy)
		if err := l.j.append(&event{Type: evEpoch, Time: time.Now().UTC(), ID: job.ID, Epoch: &e}, false); err != nil {
			l.log.Warn("journal epoch", "model_id", job.ID, "err", err)
		}
	}

	// Train, with panics caught.
	l.idle.start()
	t0 := time.Now()
	func() {
		defer func() {
			if v := recover(); v != nil {
				r.reason, r.err, r.stack = ReasonPanic, fmt.Errorf("%v", v), string(debug.Stack())
			}
		}()
		r.out, r.err = l.opts.Trainer.Train(ctx, job)
	}()
	r.seconds = time.Since(t0).Seconds()
	l.idle.stop()
	if r.reason != "" {
		return r
	}
	if len(r.curve) == 0 && len(r.out.Curve) > 0 {
		for _, e := range r.out.Curve {
			job.OnEpoch(e)
		}
	}

	// Classify the outcome. A model that finished is kept even when the
	// grace ran out as it did.
	switch err := r.err; {
	case err == nil && !r.out.Diverged && diverged(r.out.Metric, r.curve):
		r.reason, r.err = ReasonDiverged, errors.New("non-finite metric or loss")
	case err == nil && r.out.Diverged:
		r.reason, r.err = ReasonDiverged, errors.New("trainer reported divergence")
	case err == nil && r.out.Graph == nil:
		r.reason, r.err = ReasonError, errors.New("trainer returned no model")
	case err == nil:
	case errors.Is(context.Cause(ctx), errCutShort):
		r.reason, r.err = ReasonCutShort, fmt.Errorf("deadline reached after %d epochs", len(r.curve))
	case ctx.Err() != nil:
		r.reason = "" // cancelled with the run: not recorded
		r.err = ctx.Err()
		return r
	case errors.Is(err, ErrOutOfMemory):
		r.reason = ReasonOutOfMemory
	case errors.Is(err, ErrDiverged):
		r.reason = ReasonDiverged
	default:
		r.reason = ReasonError
	}
	return r
}

// diverged reports a non-finite metric, or a non-finite loss in the last
// epoch of the curve.
func diverged(metric float64, curve []Epoch) bool {
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	if bad(metric) {
		return true
	}
	if n := len(curve); n > 0 {
		e := curve[n-1]
		return bad(e.TrainLoss) || bad(e.ValLoss) || bad(e.ValAccuracy)
	}
	return false
}

// build returns the model of a proposal with weights: the parent's stored
// weights carried through the operations, or a fresh initialisation; new
// layers without weights are initialised from the model's seed.
func (l *loop) build(p Proposal, seed uint64) (*graph.Graph, error) {
	var g *graph.Graph
	if p.Parent == 0 {
		g = p.Graph.Clone(false)
	} else {
		var err error
		if g, err = loadModel(l.dir, p.Parent); err != nil {
			return nil, err
		}
		var noise *rand.Rand
		if l.opts.Noise {
			noise = rand.New(rand.NewPCG(seed, 1))
		}
		if err := l.opts.Apply(g, p.Ops, noise); err != nil {
			return nil, fmt.Errorf("apply operations to parent %d: %w", p.Parent, err)
		}
	}
	if err := g.InitWeights(rand.New(rand.NewPCG(seed, 2))); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return g, nil
}

// finish records a trial that came back. With one worker, models are
// observed in the order they started: a model whose files were saved
// before those of the model started before it waits for it.
func (l *loop) finish(r trialResult) error {
	delete(l.running, r.id)
	if r.trained {
		l.saving[r.id] = true
		return nil
	}
	if r.reason == "" && r.err != nil {
		delete(l.saving, r.id) // cancelled with the run: not observed
	} else {
		l.done[r.id] = r
	}
	for {
		next := -1
		for id := range l.done {
			if !l.earlierOutstanding(id) && (next < 0 || l.seq[id] < l.seq[next]) {
				next = id
			}
		}
		if next < 0 {
			return nil
		}
		r := l.done[next]
		delete(l.done, next)
		delete(l.saving, next)
		l.trained++
		if err := l.observe(r); err != nil {
			return err
		}
	}
}

// earlierOutstanding reports whether, with one worker, a model started
// before id is still training or being saved.
func (l *loop) earlierOutstanding(id int) bool {
	if l.opts.Workers > 1 {
		return false
	}
	for other := range l.saving {
		if _, ok := l.done[other]; !ok && l.seq[other] < l.seq[id] {
			return true
		}
	}
	for other := range l.running {
		if l.seq[other] < l.seq[id] {
			return true
		}
	}
	return false
}

// observe journals the observation of a model (and its failure, if any),
// lowers the memory bound after an out-of-memory failure, and applies the
// retention policy unless a proposal is being made.
func (l *loop) observe(r trialResult) error {
	pe := l.st.props[r.id]
	o := Observation{
		ID: r.id, Parent: pe.Proposal.Parent, Ops: pe.Proposal.Ops, Graph: pe.Graph, Hash: pe.Hash,
		Settings: pe.Proposal.Settings, Epochs: len(r.curve), Seconds: r.seconds,
		Elapsed: (l.st.elapsed + time.Since(l.begin)).Seconds(),
	}
	if r.reason == "" {
		o.Metric, o.Cost = r.out.Metric, 1-r.out.Metric
	} else {
		o.Failed, o.Cost = true, 1
		o.Reason = r.reason
		if r.err != nil {
			o.Reason += ": " + r.err.Error()
		}
		if err := l.record(&event{Type: evFailure, ID: r.id, Kind: r.reason, Error: errString(r.err), Stack: r.stack}, false); err != nil {
			return err
		}
		l.log.Warn("trial failed", "model_id", r.id, "reason", o.Reason)
	}
	if len(r.curve) > 0 {
		l.st.curves[r.id] = r.curve
	}
	if err := l.record(&event{Type: evObservation, ID: r.id, Observation: &o}, true); err != nil {
		return err
	}
	hook("observed", r.id)
	if r.reason == "" {
		l.log.Info("trial done", "model_id", r.id, "parent", o.Parent, "metric", o.Metric,
			"epochs", o.Epochs, "seconds", o.Seconds)
	}

	// Section 4.4: after running out of memory, bound below the model's
	// estimate. The factor 0.9 leaves a margin for the estimate's error.
	if r.reason == ReasonOutOfMemory && pe.Estimate > 0 {
		nb := pe.Estimate * 9 / 10
		if b := l.bound(); b == 0 || nb < b {
			if err := l.record(&event{Type: evBound, ID: r.id, Bound: nb, Estimate: pe.Estimate}, true); err != nil {
				return err
			}
			l.log.Warn("memory bound lowered", "model_id", r.id, "bound", nb)
		}
	}
	if !l.proposing {
		if err := l.retain(); err != nil {
			return err
		}
	}
	if l.opts.OnProgress != nil {
		l.opts.OnProgress(l.status())
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// retain removes the weights of every successful model that is neither
// among the Keep best nor the parent of a pending proposal. It is not
// called while a proposal is being made, but once it is accepted: the
// searcher may pick as parent a model that an observation made meanwhile
// pushes out of the Keep best, and whether that observation came first is
// a matter of timing.
func (l *loop) retain() error {
	if l.opts.Keep <= 0 {
		return nil
	}
	var ok []Observation
	for _, o := range l.st.obs {
		if !o.Failed && !l.st.dropped[o.ID] {
			ok = append(ok, o)
		}
	}
	if len(ok) <= l.opts.Keep {
		return nil
	}
	slices.SortStableFunc(ok, func(a, b Observation) int {
		switch {
		case a.Cost < b.Cost:
			return -1
		case a.Cost > b.Cost:
			return 1
		}
		return 0
	})
	keep := map[int]bool{}
	for _, o := range ok[:l.opts.Keep] {
		keep[o.ID] = true
	}
	for _, id := range l.st.pending() {
		keep[l.st.props[id].Proposal.Parent] = true
	}
	for _, o := range ok[l.opts.Keep:] {
		if keep[o.ID] {
			continue
		}
		if err := os.Remove(modelPath(l.dir, o.ID, "weights")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("search: retention: %w", err)
		}
		if err := l.record(&event{Type: evDrop, ID: o.ID, Kind: "retention"}, false); err != nil {
			return err
		}
	}
	return nil
}

// cutAll cancels every running trial as cut short.
func (l *loop) cutAll() {
	for _, cut := range l.running {
		cut()
	}
}

// drain waits for the proposer and every trial after ctx was cancelled,
// and records the models that finished meanwhile.
func (l *loop) drain() {
	for l.proposing || len(l.running) > 0 || len(l.saving) > 0 {
		select {
		case <-l.proposals:
			l.proposing = false
		case r := <-l.results:
			// Models that finished are still observed.
			if err := l.finish(r); err != nil {
				l.log.Warn("observe while stopping", "model_id", r.id, "err", err)
			}
		}
	}
}

// status returns the progress now.
func (l *loop) status() Progress {
	p := Progress{Running: len(l.running), Queued: len(l.queue), Elapsed: l.st.elapsed + time.Since(l.begin)}
	for _, o := range l.st.obs {
		p.Models++
		if o.Failed {
			p.Failed++
		}
	}
	p.Best = (&History{Observations: l.st.obs}).Best()
	if !l.deadline.IsZero() {
		p.Left = max(0, time.Until(l.deadline))
	}
	return p
}

// progress logs the progress line and calls OnProgress.
func (l *loop) progress() {
	p := l.status()
	best, bestID := math.NaN(), 0
	if p.Best != nil {
		best, bestID = p.Best.Cost, p.Best.ID
	}
	l.log.Info("search progress", "models", p.Models, "failed", p.Failed, "running", p.Running,
		"best_cost", best, "best_id", bestID, "elapsed", p.Elapsed.Round(time.Millisecond), "left", p.Left.Round(time.Second))
	if l.opts.OnProgress != nil {
		l.opts.OnProgress(p)
	}
}

// result assembles the result.
func (l *loop) result(stop Stop) *Result {
	h := l.st.history()
	return &Result{
		History: h, Best: h.Best(), Stop: stop, Trained: l.trained,
		Elapsed: time.Since(l.begin), Total: l.st.elapsed + time.Since(l.begin),
		Idle: l.idle.value(), Bound: l.bound(),
	}
}

// trialSeed derives a model's seed from the run's seed and its id
// (splitmix64 of their combination).
func trialSeed(seed uint64, id int) uint64 {
	z := seed + uint64(id)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
