package train

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/morphnas/morphnas/core/graph"
)

// TestGradientsMatchGorgonia builds a network of ops whose gradients
// gorgonia computes correctly (conv with padding, ReLU, max pooling,
// flatten, dense, softmax cross-entropy; its average pooling, global
// average pooling and dropout gradients are not usable), runs it in both
// engines in float64 on the same weights and data, and compares the loss
// and the gradients of the conv filter, the dense weights and the input.
// Gorgonia works in NCHW with OIHW filters and flattens in CHW order, so
// the values are permuted on the way in and out. Both sides compute the
// same sums in a different order: they agree to about 1e-12, and 1e-9 is
// the tolerance.
func TestGradientsMatchGorgonia(t *testing.T) {
	const (
		n, H, W, cin, cout, classes = 3, 6, 6, 2, 4, 3
		ph, pw                      = H / 2, W / 2
	)
	g := graph.New(graph.Shape{H: H, W: W, C: cin}, classes)
	cv := g.Conv(0, cout, 3, 1)
	g.Softmax(g.Dense(g.Flatten(g.MaxPool(g.ReLU(cv), 2)), classes))
	withWeights(t, g, 21)
	// Gorgonia's side has no biases: zero ours.
	clear(g.Layers[cv-1].Params.B)
	dense := &g.Layers[len(g.Layers)-2]
	clear(dense.Params.B)

	rng := rand.New(rand.NewPCG(22, 22))
	x := randInput(rng, n*H*W*cin)
	labels := []int{2, 0, 1}

	// Ours.
	e := newTestEngine(t, g, n)
	copy(e.input(), x)
	e.forward(n, true)
	ourLoss, _ := e.loss(labels, n, true)
	e.backward(n)
	ls, ld := &e.layers[cv-1], &e.layers[len(g.Layers)-2]

	// Permutations between the two layouts.
	nhwc := func(b, h, w, c, C int) int { return ((b*H+h)*W+w)*C + c }
	xg := make([]float64, len(x))
	for b := range n {
		for c := range cin {
			for h := range H {
				for w := range W {
					xg[((b*cin+c)*H+h)*W+w] = x[nhwc(b, h, w, c, cin)]
				}
			}
		}
	}
	filt := make([]float64, cout*cin*9)
	for co := range cout {
		for ci := range cin {
			for ky := range 3 {
				for kx := range 3 {
					filt[((co*cin+ci)*3+ky)*3+kx] = float64(g.Layers[cv-1].Params.W[((ky*3+kx)*cin+ci)*cout+co])
				}
			}
		}
	}
	// Flatten index of (h, w, c) in ours and (c, h, w) in gorgonia's.
	flatOurs := func(h, w, c int) int { return (h*pw+w)*cout + c }
	flatG := func(h, w, c int) int { return (c*ph+h)*pw + w }
	dw := make([]float64, ph*pw*cout*classes)
	for h := range ph {
		for w := range pw {
			for c := range cout {
				for o := range classes {
					dw[flatG(h, w, c)*classes+o] = float64(dense.Params.W[flatOurs(h, w, c)*classes+o])
				}
			}
		}
	}
	onehot := make([]float64, n*classes)
	for b, y := range labels {
		onehot[b*classes+y] = 1
	}

	// Gorgonia's.
	gg := G.NewGraph()
	xin := G.NewTensor(gg, G.Float64, 4, G.WithShape(n, cin, H, W), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(n, cin, H, W), tensor.WithBacking(xg))))
	fn := G.NewTensor(gg, G.Float64, 4, G.WithShape(cout, cin, 3, 3), G.WithName("f"),
		G.WithValue(tensor.New(tensor.WithShape(cout, cin, 3, 3), tensor.WithBacking(filt))))
	wn := G.NewMatrix(gg, G.Float64, G.WithShape(ph*pw*cout, classes), G.WithName("w"),
		G.WithValue(tensor.New(tensor.WithShape(ph*pw*cout, classes), tensor.WithBacking(dw))))
	oh := G.NewMatrix(gg, G.Float64, G.WithShape(n, classes), G.WithName("y"),
		G.WithValue(tensor.New(tensor.WithShape(n, classes), tensor.WithBacking(onehot))))
	must := func(v *G.Node, err error) *G.Node {
		t.Helper()
		require.NoError(t, err)
		return v
	}
	c := must(G.Conv2d(xin, fn, tensor.Shape{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}))
	p := must(G.MaxPool2D(must(G.Rectify(c)), tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	logits := must(G.Mul(must(G.Reshape(p, tensor.Shape{n, ph * pw * cout})), wn))
	logp := must(G.Log(must(G.SoftMax(logits))))
	loss := must(G.Div(must(G.Neg(must(G.Sum(must(G.HadamardProd(logp, oh)))))), G.NewConstant(float64(n))))
	_, err := G.Grad(loss, xin, fn, wn)
	require.NoError(t, err)
	m := G.NewTapeMachine(gg)
	defer m.Close()
	require.NoError(t, m.RunAll())

	const tol = 1e-9
	require.InDelta(t, loss.Value().Data().(float64), ourLoss, tol, "loss")
	grad := func(v *G.Node) []float64 {
		gv, err := v.Grad()
		require.NoError(t, err)
		return gv.Data().([]float64)
	}
	gx, gf, gw := grad(xin), grad(fn), grad(wn)
	for b := range n {
		for ch := range cin {
			for h := range H {
				for w := range W {
					require.InDelta(t, gx[((b*cin+ch)*H+h)*W+w], e.grad[0][nhwc(b, h, w, ch, cin)], tol,
						"input gradient at example %d, (%d,%d), channel %d", b, h, w, ch)
				}
			}
		}
	}
	for co := range cout {
		for ci := range cin {
			for ky := range 3 {
				for kx := range 3 {
					require.InDelta(t, gf[((co*cin+ci)*3+ky)*3+kx], ls.dw[((ky*3+kx)*cin+ci)*cout+co], tol,
						"filter gradient tap (%d,%d) %d->%d", ky, kx, ci, co)
				}
			}
		}
	}
	for h := range ph {
		for w := range pw {
			for ch := range cout {
				for o := range classes {
					require.InDelta(t, gw[flatG(h, w, ch)*classes+o], ld.dw[flatOurs(h, w, ch)*classes+o], tol,
						"dense gradient (%d,%d,%d)->%d", h, w, ch, o)
				}
			}
		}
	}
}
