package train

import (
	"math"
	"math/rand/v2"

	"github.com/morphnas/morphnas/core/graph"
)

// forwardLayer runs layer i on n examples.
func (e *engine[T]) forwardLayer(i, n int, training bool) {
	l := &e.g.Layers[i]
	ls := &e.layers[i]
	in, sh := e.shapes[l.Inputs[0]], e.shapes[i+1]
	is, os := in.Size(), sh.Size()
	x, y := e.act[l.Inputs[0]], e.act[i+1]

	switch l.Kind {
	case graph.Conv2D, graph.Dense:
		e.par(n, func(w, c int) {
			lo, m := span(c, n)
			xc, yc := x[lo*is:(lo+m)*is], y[lo*os:(lo+m)*os]
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
		})

	case graph.BatchNorm:
		if ls.relu {
			y = e.act[ls.reluLayer+1]
		}
		e.bnForward(ls, x, y, n, in, training)

	case graph.ReLU:
		if ls.fused {
			return
		}
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			reluForward(x[lo*os:(lo+m)*os], y[lo*os:(lo+m)*os])
		})

	case graph.Dropout:
		if !training || l.Rate == 0 {
			e.par(n, func(_, c int) {
				lo, m := span(c, n)
				copy(y[lo*os:(lo+m)*os], x[lo*os:(lo+m)*os])
			})
			return
		}
		keep := T(1 / (1 - l.Rate))
		rate := l.Rate
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			var r rand.PCG
			r.Seed(e.dropSeed, uint64(i)<<32|uint64(c))
			mk, xc, yc := ls.mask[lo*os:(lo+m)*os], x[lo*os:(lo+m)*os], y[lo*os:(lo+m)*os]
			for j := range mk {
				if float64(r.Uint64()>>11)*0x1p-53 < rate {
					mk[j] = 0
				} else {
					mk[j] = keep
				}
				yc[j] = xc[j] * mk[j]
			}
		})

	case graph.Flatten:
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			copy(y[lo*os:(lo+m)*os], x[lo*os:(lo+m)*os])
		})

	case graph.MaxPool:
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			maxPool(x, y, ls.argmax, lo, m, in, sh, ls.kern, ls.stride)
		})

	case graph.GlobalAvgPool:
		hw := in.H * in.W
		inv := 1 / T(hw)
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			for b := lo; b < lo+m; b++ {
				yb := y[b*sh.C : (b+1)*sh.C]
				clear(yb)
				for p := range hw {
					addTo(yb, x[(b*hw+p)*in.C:(b*hw+p+1)*in.C])
				}
				for j := range yb {
					yb[j] *= inv
				}
			}
		})

	case graph.Add:
		x2 := e.act[l.Inputs[1]]
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			a, b, yc := x[lo*os:(lo+m)*os], x2[lo*os:(lo+m)*os], y[lo*os:(lo+m)*os]
			for j := range yc {
				yc[j] = a[j] + b[j]
			}
		})

	case graph.Concat:
		x2, c2 := e.act[l.Inputs[1]], e.shapes[l.Inputs[1]].C
		px := max(in.H*in.W, 1)
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			for p := lo * px; p < (lo+m)*px; p++ {
				copy(y[p*sh.C:p*sh.C+in.C], x[p*in.C:(p+1)*in.C])
				copy(y[p*sh.C+in.C:(p+1)*sh.C], x2[p*c2:(p+1)*c2])
			}
		})

	case graph.Softmax:
		k := sh.C
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			for b := lo; b < lo+m; b++ {
				softmax(x[b*k:(b+1)*k], y[b*k:(b+1)*k])
			}
		})
	}
}

// backwardLayer propagates the gradient at layer i's output to its inputs
// and parameters.
func (e *engine[T]) backwardLayer(i, n int) {
	l := &e.g.Layers[i]
	ls := &e.layers[i]
	in, sh := e.shapes[l.Inputs[0]], e.shapes[i+1]
	is, os := in.Size(), sh.Size()
	x, dy := e.act[l.Inputs[0]], e.grad[i+1]

	switch l.Kind {
	case graph.Conv2D, graph.Dense:
		dx, add := e.target(l.Inputs[0])
		nw, nb := len(ls.w), len(ls.b)
		e.par(n, func(w, c int) {
			lo, m := span(c, n)
			xc, dyc := x[lo*is:(lo+m)*is], dy[lo*os:(lo+m)*os]
			rows, cout := m*max(sh.H*sh.W, 1), sh.C
			part := ls.part[c*(nw+nb) : (c+1)*(nw+nb)]
			colSums(dyc, rows, part[nw:])
			if l.Kind == graph.Dense || ls.pointwise {
				e.gemm(true, false, in.C, cout, rows, 1, xc, in.C, dyc, cout, 0, part[:nw], cout)
				if dx != nil {
					beta := T(0)
					if add {
						beta = 1
					}
					e.gemm(false, true, rows, in.C, cout, 1, dyc, cout, ls.w, cout, beta, dx[lo*is:(lo+m)*is], in.C)
				}
				return
			}
			kkc := ls.kern * ls.kern * in.C
			var dxc []T
			if dx != nil {
				dxc = dx[lo*is : (lo+m)*is]
				if !add {
					clear(dxc)
				}
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
				if dx != nil {
					e.gemm(false, true, r1-r0, kkc, cout, 1, dyc[r0*cout:], cout, ls.w, cout, 0, col, kkc)
					col2im(col, ls.geom, r0, r1, dxc)
				}
			}
		})
		e.reduceParts(ls.part, nw+nb, chunks(n), ls.dw, ls.db)

	case graph.BatchNorm:
		var ry []T
		if ls.relu {
			dy, ry = e.grad[ls.reluLayer+1], e.act[ls.reluLayer+1]
		}
		e.bnBackward(ls, x, dy, ry, n, in, l.Inputs[0])

	case graph.ReLU:
		if ls.fused {
			// The batch norm before reads this layer's gradient itself.
			e.reached[l.Inputs[0]] = true
			return
		}
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		y := e.act[i+1]
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			reluBackward(y[lo*os:(lo+m)*os], dy[lo*os:(lo+m)*os], dx[lo*os:(lo+m)*os], add)
		})

	case graph.Dropout:
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			dyc, dxc := dy[lo*os:(lo+m)*os], dx[lo*os:(lo+m)*os]
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
		})

	case graph.Flatten:
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			setOrAdd(dx[lo*os:(lo+m)*os], dy[lo*os:(lo+m)*os], add)
		})

	case graph.MaxPool:
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			if !add {
				clear(dx[lo*is : (lo+m)*is])
			}
			am := ls.argmax[lo*os : (lo+m)*os]
			for j, v := range dy[lo*os : (lo+m)*os] {
				dx[am[j]] += v
			}
		})

	case graph.GlobalAvgPool:
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		hw := in.H * in.W
		inv := 1 / T(hw)
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			for b := lo; b < lo+m; b++ {
				g := dy[b*sh.C : (b+1)*sh.C]
				for p := range hw {
					d := dx[(b*hw+p)*in.C : (b*hw+p+1)*in.C]
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
		})

	case graph.Add:
		for _, u := range l.Inputs {
			dx, add := e.target(u)
			if dx == nil {
				continue
			}
			e.par(n, func(_, c int) {
				lo, m := span(c, n)
				setOrAdd(dx[lo*os:(lo+m)*os], dy[lo*os:(lo+m)*os], add)
			})
		}

	case graph.Concat:
		px := max(in.H*in.W, 1)
		for k, u := range l.Inputs {
			dx, add := e.target(u)
			if dx == nil {
				continue
			}
			off, cu := 0, in.C
			if k == 1 {
				off, cu = in.C, e.shapes[u].C
			}
			e.par(n, func(_, c int) {
				lo, m := span(c, n)
				for p := lo * px; p < (lo+m)*px; p++ {
					setOrAdd(dx[p*cu:(p+1)*cu], dy[p*sh.C+off:p*sh.C+off+cu], add)
				}
			})
		}

	case graph.Softmax:
		dx, add := e.target(l.Inputs[0])
		if dx == nil {
			return
		}
		y, k := e.act[i+1], sh.C
		e.par(n, func(_, c int) {
			lo, m := span(c, n)
			for b := lo; b < lo+m; b++ {
				p, g, d := y[b*k:(b+1)*k], dy[b*k:(b+1)*k], dx[b*k:(b+1)*k]
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
		})
	}
}

// reduceParts sums the per-chunk partial gradients (each width long, the
// weights then the biases) into dw and db, in chunk order.
func (e *engine[T]) reduceParts(part []T, width, nc int, dw, db []T) {
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
