package graph

import "slices"

// Kind names a layer type.
type Kind string

// The layer kinds of the search space.
const (
	Conv2D        Kind = "conv2d"    // same padding; Units filters, Kernel x Kernel, Stride
	Dense         Kind = "dense"     // Units outputs; input must be flat
	BatchNorm     Kind = "batchnorm" // per channel (spatial) or per unit (flat)
	ReLU          Kind = "relu"
	MaxPool       Kind = "maxpool" // valid padding; Kernel x Kernel window, Stride
	GlobalAvgPool Kind = "gap"     // spatial to flat, one value per channel
	Dropout       Kind = "dropout" // Rate; identity in inference mode
	Flatten       Kind = "flatten" // spatial to flat, NHWC order
	Add           Kind = "add"     // element-wise sum of equal shapes
	Concat        Kind = "concat"  // along channels, in input order
	Softmax       Kind = "softmax" // the output layer over Graph.Classes
)

// Kinds lists every layer kind, for validation and tests.
var Kinds = []Kind{Conv2D, Dense, BatchNorm, ReLU, MaxPool, GlobalAvgPool, Dropout, Flatten, Add, Concat, Softmax}

// BNEpsilon is the constant added to the running variance in batch norm.
const BNEpsilon = 1e-5

// Layer is one edge of the graph. It reads the nodes listed in Inputs and
// produces node index+1 of the graph that holds it.
type Layer struct {
	Kind Kind `json:"kind"`
	// Inputs are node ids. The first one is on the main chain; Add and
	// Concat take exactly two, the second coming from a skip connection.
	Inputs []int `json:"inputs"`
	// Units is the number of filters of a conv or outputs of a dense layer.
	Units int `json:"units,omitempty"`
	// Kernel is the window size of a conv (odd) or max pool.
	Kernel int `json:"kernel,omitempty"`
	// Stride of a conv or max pool; zero means 1 for conv, Kernel for pool.
	Stride int `json:"stride,omitempty"`
	// Rate is the drop probability of a dropout layer.
	Rate float64 `json:"rate,omitempty"`
	// L2 is the weight-decay rate of this layer's weights; zero means the
	// trainer's global setting. Tuned by the conventional baselines.
	L2 float64 `json:"l2,omitempty"`
	// Skip marks a layer that belongs to a skip connection although it sits
	// on the main chain: the 1x1 conv that folds a concatenation back to its
	// width. The kernel's layer distance ignores such layers.
	Skip bool `json:"skip,omitempty"`
	// Params holds the weights, or nil for a bare architecture.
	Params *Params `json:"-"`
}

// Params are the weights of one layer. Conv weights are laid out HWIO,
// W[((ky*K+kx)*Cin+ci)*Cout+co]; dense weights are In x Out, row-major,
// W[i*Out+o]. Batch norm uses Gamma, Beta and the running Mean and Var.
type Params struct {
	W     []float32 `json:"w,omitempty"`
	B     []float32 `json:"b,omitempty"`
	Gamma []float32 `json:"gamma,omitempty"`
	Beta  []float32 `json:"beta,omitempty"`
	Mean  []float32 `json:"mean,omitempty"`
	Var   []float32 `json:"var,omitempty"`
}

// Clone returns a deep copy of p (nil for nil).
func (p *Params) Clone() *Params {
	if p == nil {
		return nil
	}
	return &Params{
		W: slices.Clone(p.W), B: slices.Clone(p.B),
		Gamma: slices.Clone(p.Gamma), Beta: slices.Clone(p.Beta),
		Mean: slices.Clone(p.Mean), Var: slices.Clone(p.Var),
	}
}

// HasWidth reports whether the layer has a width in the sense of the paper
// (conv filters or dense units).
func (l *Layer) HasWidth() bool { return l.Kind == Conv2D || l.Kind == Dense }

// stride returns the effective stride.
func (l *Layer) stride() int {
	if l.Stride > 0 {
		return l.Stride
	}
	if l.Kind == MaxPool {
		return l.Kernel
	}
	return 1
}

// EffectiveStride returns the stride used by a conv or pool layer, after
// defaults.
func (l *Layer) EffectiveStride() int { return l.stride() }

// clone returns a copy of the layer with its own Inputs slice; Params are
// shared unless deep is set.
func (l Layer) clone(deep bool) Layer {
	l.Inputs = slices.Clone(l.Inputs)
	if deep {
		l.Params = l.Params.Clone()
	}
	return l
}
