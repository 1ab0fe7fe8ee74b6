package graph

import (
	"fmt"
	"math"
)

// Forward runs the reference forward pass in inference mode: float64, plain
// loops, batch norm with its running statistics, dropout as the identity. x
// holds n examples of the input shape in NHWC order. It returns every node's
// activations, indexed by node id, each n examples long; the output node
// holds the class probabilities. It is slow by design: it is the oracle the
// morphisms and the trainer are checked against.
func (g *Graph) Forward(x []float64, n int) ([][]float64, error) {
	shapes, err := g.Shapes()
	if err != nil {
		return nil, err
	}
	if !g.HasWeights() {
		return nil, ErrNoWeights
	}
	if len(x) != n*g.Input.Size() {
		return nil, fmt.Errorf("graph: forward input has %d values, want %d examples of %v = %d",
			len(x), n, g.Input, n*g.Input.Size())
	}
	order, _ := g.TopoOrder()
	act := make([][]float64, g.NumNodes())
	act[0] = x
	for _, i := range order {
		l := &g.Layers[i]
		in, s := shapes[l.Inputs[0]], shapes[i+1]
		a := act[l.Inputs[0]]
		y := make([]float64, n*s.Size())
		switch l.Kind {
		case Conv2D:
			refConv(l, a, y, n, in, s)
		case Dense:
			p := l.Params
			for b := range n {
				for o := range l.Units {
					sum := float64(p.B[o])
					for k := range in.C {
						sum += a[b*in.C+k] * float64(p.W[k*l.Units+o])
					}
					y[b*l.Units+o] = sum
				}
			}
		case BatchNorm:
			p := l.Params
			for j := range y {
				c := j % in.C
				y[j] = float64(p.Gamma[c])*(a[j]-float64(p.Mean[c]))/math.Sqrt(float64(p.Var[c])+BNEpsilon) + float64(p.Beta[c])
			}
		case ReLU:
			for j, v := range a {
				y[j] = max(v, 0)
			}
		case Dropout, Flatten:
			copy(y, a)
		case MaxPool:
			refPool(l, a, y, n, in, s)
		case GlobalAvgPool:
			hw := in.H * in.W
			for b := range n {
				for p := range hw {
					for c := range in.C {
						y[b*in.C+c] += a[(b*hw+p)*in.C+c] / float64(hw)
					}
				}
			}
		case Add:
			o := act[l.Inputs[1]]
			for j := range y {
				y[j] = a[j] + o[j]
			}
		case Concat:
			o, oc := act[l.Inputs[1]], shapes[l.Inputs[1]].C
			pix := n * max(in.H*in.W, 1)
			for p := range pix {
				copy(y[p*s.C:], a[p*in.C:(p+1)*in.C])
				copy(y[p*s.C+in.C:], o[p*oc:(p+1)*oc])
			}
		case Softmax:
			for b := range n {
				row, out := a[b*in.C:(b+1)*in.C], y[b*in.C:(b+1)*in.C]
				m := math.Inf(-1)
				for _, v := range row {
					m = max(m, v)
				}
				var z float64
				for k, v := range row {
					out[k] = math.Exp(v - m)
					z += out[k]
				}
				for k := range out {
					out[k] /= z
				}
			}
		}
		act[i+1] = y
	}
	return act, nil
}

// SamePadding returns the padding before the first row (or column) of a
// same-padded window of size k and stride s over n positions, the
// convention every engine of this module follows: the total padding is
// split with the smaller half first.
func SamePadding(n, k, s int) int {
	out := ceilDiv(n, s)
	total := max((out-1)*s+k-n, 0)
	return total / 2
}

func refConv(l *Layer, a, y []float64, n int, in, s Shape) {
	k, st := l.Kernel, l.EffectiveStride()
	pt, pl := SamePadding(in.H, k, st), SamePadding(in.W, k, st)
	w, bias := l.Params.W, l.Params.B
	for b := range n {
		for oy := range s.H {
			for ox := range s.W {
				out := y[((b*s.H+oy)*s.W+ox)*s.C:][:s.C]
				for co := range s.C {
					out[co] = float64(bias[co])
				}
				for ky := range k {
					iy := oy*st + ky - pt
					if iy < 0 || iy >= in.H {
						continue
					}
					for kx := range k {
						ix := ox*st + kx - pl
						if ix < 0 || ix >= in.W {
							continue
						}
						px := a[((b*in.H+iy)*in.W+ix)*in.C:][:in.C]
						for ci, v := range px {
							wr := w[((ky*k+kx)*in.C+ci)*s.C:][:s.C]
							for co := range s.C {
								out[co] += v * float64(wr[co])
							}
						}
					}
				}
			}
		}
	}
}

func refPool(l *Layer, a, y []float64, n int, in, s Shape) {
	k, st := l.Kernel, l.EffectiveStride()
	for b := range n {
		for oy := range s.H {
			for ox := range s.W {
				for c := range s.C {
					m := math.Inf(-1)
					for ky := range k {
						for kx := range k {
							m = max(m, a[((b*in.H+oy*st+ky)*in.W+ox*st+kx)*in.C+c])
						}
					}
					y[((b*s.H+oy)*s.W+ox)*s.C+c] = m
				}
			}
		}
	}
}
