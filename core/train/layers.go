package train

import (
	"math"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
)

// Every layer works on one chunk of the batch at a time and writes only
// that chunk's rows; only batch norm in training mode needs the whole
// batch (its statistics) and splits a pass into stages: see plan.go.

// fwdChunk runs layer i forward on chunk c of a batch of n examples, with
// worker w's scratch buffers.
func (e *engine[T]) fwdChunk(i, w, c, n int, training bool) {
	l := &e.g.Layers[i]
	ls := &e.layers[i]
	in, sh := e.shapes[l.Inputs[0]], e.shapes[i+1]
	is, os := in.Size(), sh.Size()
	lo, m := span(c, n)
	if ls.fused {
		return // the batch norm before ran this layer
	}
	if l.Kind == graph.BatchNorm {
		e.bnApplyChunk(i, lo, m)
		return
	}
	xc, yc := e.act[l.Inputs[0]][lo*is:(lo+m)*is], e.act[i+1][lo*os:(lo+m)*os]

	switch l.Kind {
	case graph.Conv2D, graph.Dense:
		rows, cout := m*max(sh.H*sh.W, 1), sh.C
		fillRows(yc, rows, ls.b)
		if l.Kind == graph.Dense || ls.pointwise {
			e.gemm(false, false, rows, cout, in.C, 1, xc, in.C, ls.w, cout, 1, yc, cout)
			return
		}
		kkc := ls.kern * ls.kern * in.C
		rb := blockRows(kkc)
		for r0 := 0; r0 < rows; r0 += rb {
			r1 := min(r0+rb, rows)
			col := e.col[w][:(r1-r0)*kkc]
			im2col(xc, ls.geom, r0, r1, col)
			e.gemm(false, false, r1-r0, cout, kkc, 1, col, kkc, ls.w, cout, 1, yc[r0*cout:], cout)
		}

	case graph.ReLU:
		reluForward(xc, yc)

	case graph.Dropout:
		if !training || l.Rate == 0 {
			copy(yc, xc)
			return
		}
		keep := T(1 / (1 - l.Rate))
		var r rand.PCG
		r.Seed(e.dropSeed, uint64(i)<<32|uint64(c))
		mk := ls.mask[lo*os : (lo+m)*os]
		for j := range mk {
			if float64(r.Uint64()>>11)*0x1p-53 < l.Rate {
				mk[j] = 0
			} else {
				mk[j] = keep
			}
			yc[j] = xc[j] * mk[j]
		}

	case graph.Flatten:
		copy(yc, xc)

	case graph.MaxPool:
		maxPool(e.act[l.Inputs[0]], e.act[i+1], ls.argmax, lo, m, in, sh, ls.kern, ls.stride)

	case graph.GlobalAvgPool:
		hw := in.H * in.W
		inv := 1 / T(hw)
		for b := range m {
			yb := yc[b*sh.C : (b+1)*sh.C]
			clear(yb)
			for p := range hw {
				addTo(yb, xc[(b*hw+p)*in.C:(b*hw+p+1)*in.C])
			}
			for j := range yb {
				yb[j] *= inv
			}
		}

	case graph.Add:
		x2 := e.act[l.Inputs[1]][lo*os : (lo+m)*os]
		x2 = x2[:len(yc)]
		xc = xc[:len(yc)]
		for j := range yc {
			yc[j] = xc[j] + x2[j]
		}

	case graph.Concat:
		c2 := e.shapes[l.Inputs[1]].C
		px := max(in.H*in.W, 1)
		x, x2, y := e.act[l.Inputs[0]], e.act[l.Inputs[1]], e.act[i+1]
		for p := lo * px; p < (lo+m)*px; p++ {
			copy(y[p*sh.C:p*sh.C+in.C], x[p*in.C:(p+1)*in.C])
			copy(y[p*sh.C+in.C:(p+1)*sh.C], x2[p*c2:(p+1)*c2])
		}

	case graph.Softmax:
		k := sh.C
		for b := range m {
			softmax(xc[b*k:(b+1)*k], yc[b*k:(b+1)*k])
		}
	}
}

// bwdChunk propagates the gradient at layer i's output to its inputs (as
// planned in ls.dx and ls.add) and to its parameters (per-chunk partial
// sums), for chunk c of a batch of n examples. Batch norm is not handled
// here: see bnSumsChunk and bnInputChunk.
func (e *engine[T]) bwdChunk(i, w, c, n int) {
	l := &e.g.Layers[i]
	ls := &e.layers[i]
	in, sh := e.shapes[l.Inputs[0]], e.shapes[i+1]
	is, os := in.Size(), sh.Size()
	lo, m := span(c, n)
	x, dy := e.act[l.Inputs[0]], e.grad[i+1]
	dyc := dy[lo*os : (lo+m)*os]
	var dxc []T
	if ls.dx[0] != nil {
		dxc = ls.dx[0][lo*is : (lo+m)*is]
	}
	add := ls.add[0]

	switch l.Kind {
	case graph.Conv2D, graph.Dense:
		xc := x[lo*is : (lo+m)*is]
		nw, nb := len(ls.w), len(ls.b)
		rows, cout := m*max(sh.H*sh.W, 1), sh.C
		part := ls.part[c*(nw+nb) : (c+1)*(nw+nb)]
		e.gemm(true, false, 1, cout, rows, 1, e.ones[:rows], 1, dyc, cout, 0, part[nw:], cout)
		if l.Kind == graph.Dense || ls.pointwise {
			e.gemm(true, false, in.C, cout, rows, 1, xc, in.C, dyc, cout, 0, part[:nw], cout)
			if dxc != nil {
				beta := T(0)
				if add {
					beta = 1
				}
				e.gemm(false, true, rows, in.C, cout, 1, dyc, cout, ls.w, cout, beta, dxc, in.C)
			}
			return
		}
		kkc := ls.kern * ls.kern * in.C
		transposed := dxc != nil && ls.wrot != nil
		if dxc != nil && !add && !transposed {
			clear(dxc)
		}
		rb := blockRows(kkc)
		for r0 := 0; r0 < rows; r0 += rb {
			r1 := min(r0+rb, rows)
			col := e.col[w][:(r1-r0)*kkc]
			im2col(xc, ls.geom, r0, r1, col)
			beta := T(1)
			if r0 == 0 {
				beta = 0
			}
			e.gemm(true, false, kkc, cout, r1-r0, 1, col, kkc, dyc[r0*cout:], cout, beta, part[:nw], cout)
			if dxc != nil && !transposed {
				e.gemm(false, true, r1-r0, kkc, cout, 1, dyc[r0*cout:], cout, ls.w, cout, 0, col, kkc)
				col2im(col, ls.geom, r0, r1, dxc)
			}
		}
		if transposed {
			// dx is dy convolved with the rotated weights: one im2col of
			// dy and a product per block, and no scattered additions.
			kkcT := ls.kern * ls.kern * cout
			rowsIn := m * in.H * in.W
			beta := T(0)
			if add {
				beta = 1
			}
			rb := blockRows(kkcT)
			for r0 := 0; r0 < rowsIn; r0 += rb {
				r1 := min(r0+rb, rowsIn)
				col := e.col[w][:(r1-r0)*kkcT]
				im2col(dyc, ls.geomT, r0, r1, col)
				e.gemm(false, false, r1-r0, in.C, kkcT, 1, col, kkcT, ls.wrot, in.C, beta, dxc[r0*in.C:], in.C)
			}
		}

	case graph.ReLU:
		if dxc != nil && !ls.fused {
			reluBackward(e.act[i+1][lo*os:(lo+m)*os], dyc, dxc, add)
		}

	case graph.Dropout:
		if dxc == nil {
			return
		}
		if l.Rate == 0 {
			setOrAdd(dxc, dyc, add)
			return
		}
		mk := ls.mask[lo*os : (lo+m)*os]
		for j, v := range dyc {
			if add {
				dxc[j] += v * mk[j]
			} else {
				dxc[j] = v * mk[j]
			}
		}

	case graph.Flatten:
		if dxc != nil {
			setOrAdd(dxc, dyc, add)
		}

	case graph.MaxPool:
		if dxc == nil {
			return
		}
		if !add {
			clear(dxc)
		}
		dx := ls.dx[0]
		am := ls.argmax[lo*os : (lo+m)*os]
		for j, v := range dyc {
			dx[am[j]] += v
		}

	case graph.GlobalAvgPool:
		if dxc == nil {
			return
		}
		hw := in.H * in.W
		inv := 1 / T(hw)
		for b := range m {
			g := dyc[b*sh.C : (b+1)*sh.C]
			for p := range hw {
				d := dxc[(b*hw+p)*in.C : (b*hw+p+1)*in.C]
				if add {
					for j, v := range g {
						d[j] += v * inv
					}
				} else {
					for j, v := range g {
						d[j] = v * inv
					}
				}
			}
		}

	case graph.Add:
		for k := range 2 {
			if ls.dx[k] != nil {
				setOrAdd(ls.dx[k][lo*os:(lo+m)*os], dyc, ls.add[k])
			}
		}

	case graph.Concat:
		px := max(in.H*in.W, 1)
		for k, u := range l.Inputs {
			dx := ls.dx[k]
			if dx == nil {
				continue
			}
			off, cu := 0, in.C
			if k == 1 {
				off, cu = in.C, e.shapes[u].C
			}
			for p := lo * px; p < (lo+m)*px; p++ {
				setOrAdd(dx[p*cu:(p+1)*cu], dy[p*sh.C+off:p*sh.C+off+cu], ls.add[k])
			}
		}

	case graph.Softmax:
		if dxc == nil {
			return
		}
		yc, k := e.act[i+1][lo*os:(lo+m)*os], sh.C
		for b := range m {
			p, g, d := yc[b*k:(b+1)*k], dyc[b*k:(b+1)*k], dxc[b*k:(b+1)*k]
			var dot T
			for j := range p {
				dot += p[j] * g[j]
			}
			for j := range p {
				v := p[j] * (g[j] - dot)
				if add {
					d[j] += v
				} else {
					d[j] = v
				}
			}
		}
	}
}

// reduceParts sums the per-chunk partial gradients (each width long, the
// weights then the biases) into dw and db, in chunk order.
func reduceParts[T float](part []T, width, nc int, dw, db []T) {
	nw := len(dw)
	copy(dw, part[:nw])
	copy(db, part[nw:width])
	for c := 1; c < nc; c++ {
		p := part[c*width : (c+1)*width]
		addTo(dw, p[:nw])
		addTo(db, p[nw:])
	}
}

// softmax writes the softmax of x into y.
func softmax[T float](x, y []T) {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var z float64
	for j, v := range x {
		ev := math.Exp(float64(v - m))
		y[j] = T(ev)
		z += ev
	}
	inv := T(1 / z)
	for j := range y {
		y[j] *= inv
	}
}
