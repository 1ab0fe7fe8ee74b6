package train

import (
	"math"

	"github.com/morphnas/morphnas/core/graph"
)

// A pass over the layers is planned as stages: runs of steps, each step
// one layer's work on every chunk of the batch (the chunks spread over the
// workers), and between stages the reduction of a batch norm's per-chunk
// sums, the only point where a layer needs the whole batch. Steps run
// layer after layer rather than chunk after chunk through a stage: with
// the latter each chunk's data would stay in cache from one layer to the
// next, but the matrix products lose more (their weights leave the cache)
// and it measured about 8% slower on the initial network.

// stepKind says what a step does with its layer.
type stepKind uint8

const (
	stepForward   stepKind = iota // fwdChunk
	stepStats                     // bnStatsChunk
	stepBackward                  // bwdChunk
	stepGradSums                  // bnSumsChunk
	stepGradInput                 // bnInputChunk
)

// step is one layer's work on a chunk. With next set the following step
// runs in the same pass over the chunks, right after this one on each
// chunk, while the chunk's data is still in cache.
type step struct {
	kind  stepKind
	layer int
	next  bool
}

// stage is a run of steps followed, when reduce >= 0, by the reduction of
// batch norm reduce's sums (statistics in a forward plan, gradients in a
// backward one).
type stage struct {
	from, to int
	reduce   int
}

// plan is a sequence of segments over one flat slice of steps.
type plan struct {
	steps []step
	segs  []stage
}

func (p *plan) reset() { p.steps, p.segs = p.steps[:0], p.segs[:0] }

func (p *plan) add(s step) { p.steps = append(p.steps, s) }

// cut ends the current segment, to be followed by a reduction of layer
// reduce (or none when it is -1).
func (p *plan) cut(reduce int) {
	from := 0
	if k := len(p.segs); k > 0 {
		from = p.segs[k-1].to
	}
	p.segs = append(p.segs, stage{from: from, to: len(p.steps), reduce: reduce})
}

// planForward builds the forward plans of both modes.
func (e *engine[T]) planForward() {
	for mode, training := range []bool{false, true} {
		p := &e.fplan[mode]
		for _, i := range e.order {
			if training && e.g.Layers[i].Kind == graph.BatchNorm {
				// The statistics of a layer's output right after it, on
				// each chunk (one barrier fewer, and the chunk's output
				// still in cache: up to 6% faster on the initial network
				// in quiet runs, within the noise under load).
				if k := len(p.steps); k > 0 && p.steps[k-1].layer+1 == e.g.Layers[i].Inputs[0] {
					p.steps[k-1].next = true
				}
				p.add(step{kind: stepStats, layer: i})
				p.cut(i)
			}
			p.add(step{kind: stepForward, layer: i})
		}
		p.cut(-1)
	}
}

// forward runs the layers on the n examples in e.act[0]. In training mode
// batch norm uses and updates batch statistics and dropout drops.
func (e *engine[T]) forward(n int, training bool) {
	mode := 0
	if training {
		mode = 1
	} else {
		for i, l := range e.g.Layers {
			if l.Kind == graph.BatchNorm {
				e.bnInferScale(i)
			}
		}
	}
	e.run(&e.fplan[mode], n, training, true)
}

// run executes a plan on a batch of n examples.
func (e *engine[T]) run(p *plan, n int, training, fwd bool) {
	for _, sg := range p.segs {
		steps := p.steps[sg.from:sg.to]
		for k := 0; k < len(steps); {
			to := k + 1
			for to < len(steps) && steps[to-1].next {
				to++
			}
			group := steps[k:to]
			e.par(n, func(w, c int) {
				for _, s := range group {
					e.runStep(s, w, c, n, training)
				}
			})
			k = to
		}
		if sg.reduce >= 0 {
			if fwd {
				e.bnReduceStats(sg.reduce, n)
			} else {
				e.bnReduceGrads(sg.reduce, n)
			}
		}
	}
}

// runStep runs one step on chunk c with worker w's buffers.
func (e *engine[T]) runStep(s step, w, c, n int, training bool) {
	switch s.kind {
	case stepForward:
		e.fwdChunk(s.layer, w, c, n, training)
	case stepStats:
		e.bnStatsChunk(s.layer, w, c, n)
	case stepBackward:
		e.bwdChunk(s.layer, w, c, n)
	case stepGradSums:
		e.bnSumsChunk(s.layer, w, c, n)
	case stepGradInput:
		e.bnInputChunk(s.layer, c, n)
	}
}

// loss computes the mean cross-entropy of the output probabilities against
// labels and, when grad is set, writes its gradient with respect to the
// logits into the logits node and marks it reached. It also counts the
// correct predictions.
func (e *engine[T]) loss(labels []int, n int, grad bool) (loss float64, correct int) {
	k := e.g.Classes
	p := e.act[e.out]
	var d []T
	if grad {
		for v := range e.reached {
			e.reached[v] = false
		}
		d = e.grad[e.logits]
		e.reached[e.logits] = true
	}
	inv := 1 / T(n)
	for b := range n {
		row := p[b*k : (b+1)*k]
		y := labels[b]
		loss -= logProb(float64(row[y]))
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
		if grad {
			dr := d[b*k : (b+1)*k]
			for j, v := range row {
				dr[j] = v * inv
			}
			dr[y] -= inv
		}
	}
	return loss / float64(n), correct
}

// backward propagates the gradients from every reached node back through
// the layers, in reverse topological order, skipping the output softmax
// (whose gradient loss folds into the logits). Parameter gradients are
// overwritten.
func (e *engine[T]) backward(n int) { e.backwardPlanned(n, e.out-1) }

// backwardFrom starts the backward pass from an arbitrary upstream
// gradient dy at node v (tests use it to check single layers with a
// non-uniform upstream gradient). The softmax layer is differentiated
// like any other here.
func (e *engine[T]) backwardFrom(n, v int, dy []T) {
	for u := range e.reached {
		e.reached[u] = false
	}
	copy(e.grad[v], dy)
	e.reached[v] = true
	e.backwardPlanned(n, -1)
}

// backwardPlanned plans the backward pass from the reached nodes, layer
// skip left out, runs it and reduces the weight gradients.
func (e *engine[T]) backwardPlanned(n, skip int) {
	p := &e.bplan
	p.reset()
	e.reduces = e.reduces[:0]
	for j := len(e.order) - 1; j >= 0; j-- {
		i := e.order[j]
		if i == skip || !e.reached[i+1] {
			continue
		}
		l, ls := &e.g.Layers[i], &e.layers[i]
		if ls.fused {
			// The batch norm before reads the gradient at the end of its
			// fused block itself.
			e.reached[l.Inputs[0]] = true
			continue
		}
		for k, u := range l.Inputs {
			ls.dx[k], ls.add[k] = e.target(u)
		}
		switch l.Kind {
		case graph.BatchNorm:
			p.add(step{kind: stepGradSums, layer: i})
			p.cut(i)
			p.add(step{kind: stepGradInput, layer: i})
		case graph.Conv2D, graph.Dense:
			e.reduces = append(e.reduces, i)
			if ls.wrot != nil && ls.dx[0] != nil {
				rotate(ls.w, ls.wrot, ls.kern, e.shapes[l.Inputs[0]].C, l.Units)
			}
			p.add(step{kind: stepBackward, layer: i})
		default:
			p.add(step{kind: stepBackward, layer: i})
		}
	}
	p.cut(-1)
	e.run(p, n, true, false)
	for _, i := range e.reduces {
		ls := &e.layers[i]
		reduceParts(ls.part, len(ls.w)+len(ls.b), chunks(n), ls.dw, ls.db)
	}
}

// target returns the gradient buffer of input node u of a layer and
// whether the layer must add to it (another consumer wrote it already) or
// overwrite it; nil means no gradient is wanted there.
func (e *engine[T]) target(u int) (buf []T, add bool) {
	if u == 0 && !e.inGrad {
		return nil, false
	}
	add = e.reached[u]
	e.reached[u] = true
	return e.grad[u], add
}

// logProb is the log of a probability, floored so that a zero gives a
// large finite loss rather than an infinite one.
func logProb(p float64) float64 { return math.Log(max(p, 1e-300)) }
