package bayes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
	"github.com/morphnas/morphnas/core/search"
)

// Result is the outcome of Optimize: the architecture to observe next and
// how to reach it.
type Result struct {
	// Parent is the id of the nearest observed ancestor of the best
	// candidate, and Ops the operations that morph it into Graph.
	Parent int
	Ops    []morph.Op
	// Graph is the best candidate, a bare architecture, and Hash its hash.
	Graph *graph.Graph
	Hash  string
	// Alpha is its acquisition value, Mean and Std the posterior of its
	// cost.
	Alpha, Mean, Std float64
	// Improved reports whether Alpha is below the lowest observed cost (the
	// f_min of Algorithm 1 was set). When no candidate got that low, the
	// candidate of lowest Alpha is returned instead.
	Improved bool
	// Evaluated counts the candidates whose acquisition was computed, and
	// Expanded the architectures popped from the queue.
	Evaluated, Expanded int
	// Fitted is the number of observations the Gaussian process used, and
	// Excluded those left out (failed trials).
	Fitted, Excluded int
	// Length is the kernel's length scale, Config.Length or the one the fit
	// chose (Surrogate.Length).
	Length float64
}

// Optimize runs Algorithm 1 on h with an Optimizer used once: see
// Optimizer.Optimize.
func Optimize(ctx context.Context, h *search.History, rng *rand.Rand, cfg Config) (Result, error) {
	o, err := NewOptimizer(cfg)
	if err != nil {
		return Result{}, err
	}
	return o.Optimize(ctx, h, rng)
}

// Optimize runs Algorithm 1 on h: it fits a Surrogate to h's observations
// and searches the tree of morphs from the observed architectures for the
// minimum of alpha. The queue starts with every observed architecture,
// keyed by its cost (an architecture observed more than once enters once,
// with its lowest cost and that observation's id); c_min starts at the
// lowest observed cost; T starts at 1 and is multiplied by r before each
// pop; every operation of Omega(f) (morph.Options) is applied to the popped
// f, and a new child is pushed, keyed by alpha, when
// exp((c_min - alpha)/T) > U(0, 1); c_min and f_min follow the lowest
// alpha; the loop stops when T < T_low or the queue is empty (or at
// Config.MaxCandidates). The result is the nearest observed ancestor of
// f_min and the operations from it.
//
// Children that repeat an observed (failed ones included), pending or
// already generated architecture are skipped by hash; so are children over
// MaxParams or MaxMemory, and operations that do not apply. rng drives the
// annealing draws; the same history, rng state and Config give the same
// result, whatever the cache holds. Optimize reads h and does not change
// it. Errors: ErrNoObservations when h has no successful observation,
// ErrNoCandidate when no new child was generated, ctx's error when it is
// done.
//
// TODO: pending proposals are excluded by hash only; the Gaussian process
// does not condition on them (as a kriging believer or constant liar
// would), so with several workers the concurrent proposals may lie close
// together.
func (o *Optimizer) Optimize(ctx context.Context, h *search.History, rng *rand.Rand) (Result, error) {
	start := time.Now()
	cfg := o.cfg

	// Update: fit the Gaussian process.
	sur, err := Fit(h.Observations, cfg)
	if err != nil {
		return Result{}, err
	}

	// Every architecture observed or pending is known by its hash.
	seen := make(map[string]bool, len(h.Observations)+len(h.Pending))
	for _, ob := range h.Observations {
		seen[hashOf(ob.Hash, ob.Graph)] = true
	}
	for _, p := range h.Pending {
		seen[hashOf(p.Hash, p.Graph)] = true
	}

	// Lines 2 to 6: the queue holds every observed architecture.
	var q queue
	seq := 0
	first := map[string]*node{}
	cMin := math.Inf(1)
	for _, ob := range h.Observations {
		if ob.Failed || ob.Graph == nil || math.IsNaN(ob.Cost) || math.IsInf(ob.Cost, 0) {
			continue
		}
		cMin = min(cMin, ob.Cost)
		hash := hashOf(ob.Hash, ob.Graph)
		if n, ok := first[hash]; ok {
			if ob.Cost < n.key {
				n.key, n.parent = ob.Cost, ob.ID
			}
			continue
		}
		g := ob.Graph
		if hasParams(g) {
			g = g.Clone(false) // candidates are bare: no weight transfer
		}
		n := &node{key: ob.Cost, seq: seq, hash: hash, g: g, parent: ob.ID}
		seq++
		first[hash] = n
		q = append(q, n)
	}
	q.init()

	// Lines 7 to 18: anneal.
	res := Result{Fitted: sur.N(), Excluded: sur.Excluded(), Length: sur.Length()}
	var best, fMin *node
	bestAlpha := math.Inf(1)
	var bestMean, bestStd, minMean, minStd float64
	for t := 1.0; len(q) > 0 && t > cfg.TLow; {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		if cfg.MaxCandidates > 0 && res.Evaluated >= cfg.MaxCandidates {
			break
		}
		t *= cfg.R
		f := q.pop()
		res.Expanded++
		for _, c := range o.children(f) {
			if seen[c.hash] {
				continue
			}
			seen[c.hash] = true
			if !c.ok {
				continue
			}
			mu, sd := sur.Predict(c.arch)
			alpha := mu - cfg.Beta*sd
			res.Evaluated++
			n := &node{key: alpha, hash: c.hash, from: f, op: c.op, parent: f.parent}
			if math.Exp((cMin-alpha)/t) > rng.Float64() {
				n.seq = seq
				seq++
				q.push(n)
			}
			if alpha < cMin {
				cMin, fMin, minMean, minStd = alpha, n, mu, sd
			}
			if alpha < bestAlpha {
				bestAlpha, best, bestMean, bestStd = alpha, n, mu, sd
			}
		}
	}

	// Line 19: the nearest observed ancestor and the operations from it.
	pick, mu, sd := fMin, minMean, minStd
	res.Improved = fMin != nil
	if pick == nil {
		pick, mu, sd = best, bestMean, bestStd
	}
	if pick == nil {
		return Result{}, fmt.Errorf("%w (expanded %d architectures)", ErrNoCandidate, res.Expanded)
	}
	g, err := pick.graph()
	if err != nil {
		return Result{}, fmt.Errorf("bayes: replaying the best candidate: %w", err)
	}
	res.Parent, res.Ops, res.Graph, res.Hash = pick.parent, pick.path(), g, pick.hash
	res.Alpha, res.Mean, res.Std = pick.key, mu, sd
	cfg.Logger.Debug("bayes: acquisition optimised",
		"fitted", res.Fitted, "excluded", res.Excluded, "length", res.Length, "expanded", res.Expanded,
		"evaluated", res.Evaluated, "alpha", res.Alpha, "improved", res.Improved,
		"parent", res.Parent, "ops", len(res.Ops), "elapsed", time.Since(start))
	return res, nil
}

// Fits reports whether g is within the size limits of cfg (MaxParams,
// MaxMemory).
func (cfg Config) Fits(g *graph.Graph) bool {
	if cfg.MaxParams > 0 {
		if n, err := g.ParamCount(); err != nil || n > cfg.MaxParams {
			return false
		}
	}
	if cfg.MaxMemory > 0 {
		batch := cfg.Batch
		if batch == 0 {
			batch = 64
		}
		if m, err := g.MemoryBytes(batch); err != nil || m > cfg.MaxMemory {
			return false
		}
	}
	return true
}

// hasParams reports whether some layer of g carries weights.
func hasParams(g *graph.Graph) bool {
	for i := range g.Layers {
		if g.Layers[i].Params != nil {
			return true
		}
	}
	return false
}

// hashOf returns hash, or g's hash when hash is empty.
func hashOf(hash string, g *graph.Graph) string {
	if hash == "" && g != nil {
		return g.Hash()
	}
	return hash
}
