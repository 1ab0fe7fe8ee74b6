package graph

// ParamCount returns the number of parameters of the architecture, batch
// norm's running statistics included (4 values per channel), the way Keras
// counts them.
func (g *Graph) ParamCount() (int, error) {
	shapes, err := g.Shapes()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, l := range g.Layers {
		n += paramCount(&l, shapes[l.Inputs[0]])
	}
	return n, nil
}

func paramCount(l *Layer, in Shape) int {
	switch l.Kind {
	case Conv2D:
		return l.Kernel*l.Kernel*in.C*l.Units + l.Units
	case Dense:
		return in.C*l.Units + l.Units
	case BatchNorm:
		return 4 * in.C
	}
	return 0
}

// MemoryBytes estimates the memory, in bytes, that training the network with
// float32 values at the given batch size needs: the parameters four times
// (weights, gradients and two optimizer moments) plus once per chunk of 8
// examples (core/train sums partial gradients per chunk), every node's
// activation and its gradient, and the im2col buffer of the largest
// convolution. The
// trainer's allocations are of that order; the search loop uses the figure
// as a bound (section 4.4) and lowers the bound after a real failure.
func (g *Graph) MemoryBytes(batch int) (int64, error) {
	shapes, err := g.Shapes()
	if err != nil {
		return 0, err
	}
	var params, acts, cols int64
	for _, l := range g.Layers {
		in := shapes[l.Inputs[0]]
		params += int64(paramCount(&l, in))
		if l.Kind == Conv2D {
			s := l.EffectiveStride()
			c := int64(ceilDiv(in.H, s)*ceilDiv(in.W, s)) * int64(l.Kernel*l.Kernel*in.C)
			cols = max(cols, c)
		}
	}
	for _, s := range shapes {
		acts += int64(s.Size())
	}
	b := int64(batch)
	chunks := (b + 7) / 8
	return 4 * ((4+chunks)*params + 2*acts*b + cols*b), nil
}
