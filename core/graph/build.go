package graph

// The methods below append one layer each and return the node it produces;
// they make graphs easy to write by hand in tests and constructors.

// Conv appends a same-padded convolution of u.
func (g *Graph) Conv(u, units, kernel, stride int) int {
	return g.Append(Layer{Kind: Conv2D, Inputs: []int{u}, Units: units, Kernel: kernel, Stride: stride})
}

// Dense appends a fully connected layer on the flat node u.
func (g *Graph) Dense(u, units int) int {
	return g.Append(Layer{Kind: Dense, Inputs: []int{u}, Units: units})
}

// BatchNorm appends batch normalisation of u.
func (g *Graph) BatchNorm(u int) int { return g.Append(Layer{Kind: BatchNorm, Inputs: []int{u}}) }

// ReLU appends a rectifier on u.
func (g *Graph) ReLU(u int) int { return g.Append(Layer{Kind: ReLU, Inputs: []int{u}}) }

// MaxPool appends a max pooling of window and stride k on u.
func (g *Graph) MaxPool(u, k int) int {
	return g.Append(Layer{Kind: MaxPool, Inputs: []int{u}, Kernel: k})
}

// GAP appends global average pooling of u.
func (g *Graph) GAP(u int) int { return g.Append(Layer{Kind: GlobalAvgPool, Inputs: []int{u}}) }

// Flatten appends a flattening of u.
func (g *Graph) Flatten(u int) int { return g.Append(Layer{Kind: Flatten, Inputs: []int{u}}) }

// Dropout appends dropout with the given rate on u.
func (g *Graph) Dropout(u int, rate float64) int {
	return g.Append(Layer{Kind: Dropout, Inputs: []int{u}, Rate: rate})
}

// Sum appends the element-wise sum of the main-chain node u and the skip
// node v.
func (g *Graph) Sum(u, v int) int { return g.Append(Layer{Kind: Add, Inputs: []int{u, v}}) }

// Concat appends the channel concatenation of the main-chain node u and the
// skip node v.
func (g *Graph) Concat(u, v int) int { return g.Append(Layer{Kind: Concat, Inputs: []int{u, v}}) }

// Softmax appends the output layer on u.
func (g *Graph) Softmax(u int) int { return g.Append(Layer{Kind: Softmax, Inputs: []int{u}}) }

// ConvSpec describes one block of a plain CNN: a conv of Units filters and
// Kernel size (zero means 3), batch norm, ReLU, max pooling of 2 while the
// tensor is at least 2x2, and dropout when Dropout > 0.
type ConvSpec struct {
	Units   int     `json:"units"`
	Kernel  int     `json:"kernel,omitempty"`
	Dropout float64 `json:"dropout,omitempty"`
}

// PlainCNN returns a chain of conv blocks followed by global average pooling
// and a dense classifier with a softmax output. The input must be spatial.
func PlainCNN(input Shape, classes int, blocks []ConvSpec) *Graph {
	g := New(input, classes)
	u, h, w := 0, input.H, input.W
	for _, b := range blocks {
		k := b.Kernel
		if k == 0 {
			k = 3
		}
		u = g.ReLU(g.BatchNorm(g.Conv(u, b.Units, k, 1)))
		if h >= 2 && w >= 2 {
			u = g.MaxPool(u, 2)
			h, w = h/2, w/2
		}
		if b.Dropout > 0 {
			u = g.Dropout(u, b.Dropout)
		}
	}
	g.Softmax(g.Dense(g.GAP(u), classes))
	return g
}

// Initial returns the paper's initial architecture (section 5): three conv
// layers of 64 filters, each followed by batch norm, ReLU and max pooling,
// then global average pooling and a dense classifier.
func Initial(input Shape, classes int) *Graph {
	return PlainCNN(input, classes, []ConvSpec{{Units: 64}, {Units: 64}, {Units: 64}})
}

// MLP returns a multi-layer perceptron: the input flattened when spatial,
// then for each hidden width a dense layer, batch norm and ReLU, then a
// dense classifier with a softmax output.
func MLP(input Shape, classes int, hidden []int) *Graph {
	g := New(input, classes)
	u := 0
	if input.Spatial() {
		u = g.Flatten(u)
	}
	for _, h := range hidden {
		u = g.ReLU(g.BatchNorm(g.Dense(u, h)))
	}
	g.Softmax(g.Dense(u, classes))
	return g
}
