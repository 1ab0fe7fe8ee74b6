package train

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/morphnas/morphnas/core/graph"
)

// float is the element type of an engine: float32 for training, float64
// for the gradient checks of the tests.
type float interface{ ~float32 | ~float64 }

// gemmFunc is a row-major general matrix product, as Backend.Sgemm.
type gemmFunc[T float] func(transA, transB bool, m, n, k int, alpha T, a []T, lda int,
	b []T, ldb int, beta T, c []T, ldc int)

// chunk is the number of examples one goroutine handles at a time. It is a
// constant, not derived from the number of workers, so that reductions
// over chunks happen in the same order for any Workers setting.
const chunk = 8

// bnMomentum is the weight of the batch statistics in the running mean and
// variance of batch norm (PyTorch's convention; Keras' momentum 0.9).
const bnMomentum = 0.1

// engine runs one graph's forward and backward passes on batches of up to
// capacity examples. It owns every buffer it uses, allocated once; a pass
// allocates only the small closures that hand chunks to the workers (about
// 30 objects, 2 KB, per training step of the initial network).
//
// TODO: the per-chunk partial weight gradients take chunks(capacity) times
// the parameter count (8x at batch 64), more than graph.MemoryBytes counts
// for them; a wide model could hold them per worker instead, at the price
// of results that depend on the number of workers.
type engine[T float] struct {
	g       *graph.Graph
	shapes  []graph.Shape
	order   []int
	logits  int // node feeding the softmax output layer
	out     int // output node (softmax probabilities)
	cap     int
	workers int
	train   bool // buffers for training (gradients) exist
	gemm    gemmFunc[T]

	act     [][]T // per node: activations, cap*size
	grad    [][]T // per node: gradients, cap*size (nil for node 0 unless inGrad)
	reached []bool
	inGrad  bool // compute the gradient of the input node too

	layers []layerState[T]
	params []T // all trainable parameters, flat
	grads  []T // their gradients, same layout
	stats  []T // batch-norm running means and variances, flat
	segs   []segment

	col  [][]T // per worker im2col buffer
	ones []T   // a column of ones: bias gradients as matrix products

	dropSeed uint64 // varied per step by the trainer for dropout masks

	fplan   [2]plan // forward plans, inference [0] and training [1]
	bplan   plan    // backward plan, rebuilt (into the same memory) per pass
	reduces []int   // conv and dense layers whose partial gradients to reduce
}

// segment is a run of params that shares one weight-decay rate.
type segment struct {
	off, n int
	decay  float64 // layer's L2, or -1 for the global setting; 0 for none
}

// layerState is the per-layer view of parameters, gradients and scratch.
type layerState[T float] struct {
	w, b, gamma, beta []T       // views into engine.params
	dw, db, dg, dbeta []T       // views into engine.grads
	mean, vr          []T       // running statistics, views into engine.stats
	part              []T       // per-chunk partial weight gradients
	part64            []float64 // batch-norm per-chunk sums
	bmean, binv       []T       // batch-norm batch mean and 1/std
	scale, shift      []T       // batch-norm affine map of the current pass
	ca, cb, cc        []T       // batch-norm backward coefficients
	acc               []T       // batch-norm per-worker sums
	argmax            []int32
	mask              []T
	kern, stride      int
	padT, padL        int
	pointwise         bool // 1x1 conv of stride 1: no im2col needed
	geom              convGeom
	geomT             convGeom // stride-1 conv: input gradient as a convolution
	wrot              []T      // its weights: rotated 180°, in and out swapped
	relu              bool     // batch norm: fused with the ReLU reluLayer
	reluLayer         int
	pool              bool // batch norm: also fused with the max pool poolLayer
	poolLayer         int
	fused             bool    // ReLU or max pool: runs inside the batch norm before it
	dx                [2][]T  // backward: gradient buffers of the inputs (nil: not wanted)
	add               [2]bool // backward: add to them rather than overwrite
}

// newEngine builds an engine for g with room for capacity examples. g must
// be valid and carry weights; they are copied in. With train set, gradient
// buffers are allocated too.
func newEngine[T float](g *graph.Graph, capacity, workers int, train bool, gemm gemmFunc[T]) (*engine[T], error) {
	shapes, err := g.Shapes()
	if err != nil {
		return nil, err
	}
	if !g.HasWeights() {
		return nil, graph.ErrNoWeights
	}
	order, _ := g.TopoOrder()
	out := g.Output()
	if out < 0 {
		return nil, fmt.Errorf("train: graph has no softmax output layer")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &engine[T]{
		g: g, shapes: shapes, order: order, out: out, cap: capacity,
		workers: workers, train: train, gemm: gemm,
		logits: g.Layers[out-1].Inputs[0],
	}
	maxChunks := (capacity + chunk - 1) / chunk
	nodes := g.NumNodes()

	// Lay out parameters and statistics flat.
	var np, ns int
	for _, l := range g.Layers {
		p := l.Params
		switch l.Kind {
		case graph.Conv2D, graph.Dense:
			np += len(p.W) + len(p.B)
		case graph.BatchNorm:
			np += len(p.Gamma) + len(p.Beta)
			ns += len(p.Mean) + len(p.Var)
		}
	}
	e.params, e.stats = make([]T, np), make([]T, ns)
	if train {
		e.grads = make([]T, np)
	}
	view := func(buf []T, off *int, src []float32) []T {
		s := buf[*off : *off+len(src) : *off+len(src)]
		for i, v := range src {
			s[i] = T(v)
		}
		*off += len(src)
		return s
	}
	e.layers = make([]layerState[T], len(g.Layers))
	var po, so, colMax, onesMax int
	for i, l := range g.Layers {
		ls := &e.layers[i]
		in, sh := shapes[l.Inputs[0]], shapes[i+1]
		p := l.Params
		switch l.Kind {
		case graph.Conv2D, graph.Dense:
			start := po
			decay := l.L2
			if decay == 0 {
				decay = -1
			}
			e.segs = append(e.segs, segment{off: po, n: len(p.W), decay: decay})
			ls.w = view(e.params, &po, p.W)
			e.segs = append(e.segs, segment{off: po, n: len(p.B)})
			ls.b = view(e.params, &po, p.B)
			if train {
				ls.dw, ls.db = e.grads[start:start+len(p.W)], e.grads[start+len(p.W):po]
				ls.part = make([]T, maxChunks*(len(p.W)+len(p.B)))
			}
			if l.Kind == graph.Conv2D {
				ls.kern, ls.stride = l.Kernel, l.EffectiveStride()
				ls.padT = graph.SamePadding(in.H, l.Kernel, ls.stride)
				ls.padL = graph.SamePadding(in.W, l.Kernel, ls.stride)
				ls.pointwise = l.Kernel == 1 && ls.stride == 1
				ls.geom = convGeom{in: in, out: sh, k: l.Kernel, s: ls.stride, pt: ls.padT, pl: ls.padL}
				if !ls.pointwise {
					kkc := l.Kernel * l.Kernel * in.C
					colMax = max(colMax, min(chunk*sh.H*sh.W, blockRows(kkc))*kkc)
					if train && ls.stride == 1 {
						// The input gradient as a convolution of the output
						// gradient (see conv.go).
						k := l.Kernel
						ls.wrot = make([]T, len(p.W))
						ls.geomT = convGeom{in: sh, out: in, k: k, s: 1, pt: k - 1 - ls.padT, pl: k - 1 - ls.padL}
						kkcT := k * k * sh.C
						colMax = max(colMax, min(chunk*in.H*in.W, blockRows(kkcT))*kkcT)
					}
				}
			}
			if train {
				onesMax = max(onesMax, chunk*max(sh.H*sh.W, 1))
			}
		case graph.BatchNorm:
			start := po
			e.segs = append(e.segs, segment{off: po, n: len(p.Gamma) + len(p.Beta)})
			ls.gamma = view(e.params, &po, p.Gamma)
			ls.beta = view(e.params, &po, p.Beta)
			ls.mean = view(e.stats, &so, p.Mean)
			ls.vr = view(e.stats, &so, p.Var)
			c := len(p.Gamma)
			if train {
				ls.dg, ls.dbeta = e.grads[start:start+c], e.grads[start+c:po]
			}
			ls.bmean, ls.binv = make([]T, c), make([]T, c)
			ls.scale, ls.shift = make([]T, c), make([]T, c)
			ls.ca, ls.cb, ls.cc = make([]T, c), make([]T, c), make([]T, c)
			ls.acc = make([]T, workers*2*c)
			ls.part64 = make([]float64, maxChunks*2*c)
		case graph.MaxPool:
			ls.kern, ls.stride = l.Kernel, l.EffectiveStride()
			ls.argmax = make([]int32, capacity*sh.Size())
		case graph.Dropout:
			if train {
				ls.mask = make([]T, capacity*sh.Size())
			}
		}
	}
	// Fuse each batch norm whose only consumer is a ReLU with it (see
	// batchnorm.go).
	consumers := g.Consumers()
	for i, l := range g.Layers {
		if l.Kind != graph.BatchNorm || len(consumers[i+1]) != 1 {
			continue
		}
		j := consumers[i+1][0]
		if g.Layers[j].Kind != graph.ReLU {
			continue
		}
		e.layers[i].relu, e.layers[i].reluLayer = true, j
		e.layers[j].fused = true
		// And the max pool that is the ReLU's only consumer.
		if len(consumers[j+1]) == 1 {
			if q := consumers[j+1][0]; g.Layers[q].Kind == graph.MaxPool {
				e.layers[i].pool, e.layers[i].poolLayer = true, q
				e.layers[q].fused = true
			}
		}
	}

	// Activations and gradients of every node but those the fused layers
	// never store: a fused batch norm's output, and a fused ReLU's output
	// when the max pool after it is fused too.
	unused := make([]bool, nodes)
	for i := range g.Layers {
		if ls := &e.layers[i]; ls.relu {
			unused[i+1] = true
			if ls.pool {
				unused[ls.reluLayer+1] = true
			}
		}
	}
	e.act = make([][]T, nodes)
	e.grad = make([][]T, nodes)
	e.reached = make([]bool, nodes)
	for v := range nodes {
		if unused[v] {
			continue
		}
		e.act[v] = make([]T, capacity*shapes[v].Size())
		if train && v > 0 {
			e.grad[v] = make([]T, capacity*shapes[v].Size())
		}
	}
	e.planForward()
	e.ones = make([]T, onesMax)
	for j := range e.ones {
		e.ones[j] = 1
	}
	e.col = make([][]T, workers)
	if colMax > 0 {
		for w := range e.col {
			e.col[w] = make([]T, colMax)
		}
	}
	return e, nil
}

// chunks returns the number of chunks of a batch of n examples.
func chunks(n int) int { return (n + chunk - 1) / chunk }

// span returns the first example and the number of examples of chunk c of
// a batch of n.
func span(c, n int) (int, int) {
	lo := c * chunk
	return lo, min(chunk, n-lo)
}

// par runs f(worker, c) for every chunk c of a batch of n examples and
// waits for all of them. Workers take the next chunk as they become free,
// so a worker slowed by another process on its core holds the others up
// less; which worker runs a chunk never changes the result, since every
// chunk writes only its own outputs and partial sums.
func (e *engine[T]) par(n int, f func(w, c int)) {
	nc := chunks(n)
	nw := min(e.workers, nc)
	if nw <= 1 {
		for c := range nc {
			f(0, c)
		}
		return
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	wg.Add(nw - 1)
	work := func(w int) {
		for {
			c := int(next.Add(1)) - 1
			if c >= nc {
				return
			}
			f(w, c)
		}
	}
	for w := 1; w < nw; w++ {
		go func() {
			defer wg.Done()
			work(w)
		}()
	}
	work(0)
	wg.Wait()
}

// input returns the buffer for the input batch (n examples, NHWC).
func (e *engine[T]) input() []T { return e.act[0] }

// exportTo writes the engine's parameters and running statistics into the
// layers of g, which must have the engine's architecture; it allocates the
// graph's Params where missing.
func (e *engine[T]) exportTo(g *graph.Graph) {
	put := func(dst *[]float32, src []T) {
		if len(*dst) != len(src) {
			*dst = make([]float32, len(src))
		}
		for i, v := range src {
			(*dst)[i] = float32(v)
		}
	}
	for i := range g.Layers {
		l, ls := &g.Layers[i], &e.layers[i]
		switch l.Kind {
		case graph.Conv2D, graph.Dense:
			if l.Params == nil {
				l.Params = &graph.Params{}
			}
			put(&l.Params.W, ls.w)
			put(&l.Params.B, ls.b)
		case graph.BatchNorm:
			if l.Params == nil {
				l.Params = &graph.Params{}
			}
			put(&l.Params.Gamma, ls.gamma)
			put(&l.Params.Beta, ls.beta)
			put(&l.Params.Mean, ls.mean)
			put(&l.Params.Var, ls.vr)
		}
	}
}

// wantInputGrad makes the backward pass compute the gradient with respect
// to the input as well (tests use it).
func (e *engine[T]) wantInputGrad() {
	e.inGrad = true
	if e.grad[0] == nil {
		e.grad[0] = make([]T, len(e.act[0]))
	}
}
