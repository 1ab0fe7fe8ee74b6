package graph

// Shapes infers the shape of every node, indexed by node id. It returns a
// *LayerError naming the first layer whose inputs do not fit.
func (g *Graph) Shapes() ([]Shape, error) {
	order, err := g.TopoOrder()
	if err != nil {
		return nil, err
	}
	shapes := make([]Shape, g.NumNodes())
	if g.Input.C <= 0 || g.Input.H < 0 || g.Input.W < 0 || (g.Input.H > 0) != (g.Input.W > 0) {
		return nil, &LayerError{Layer: -1, Kind: "input", Msg: "bad input shape " + g.Input.String()}
	}
	shapes[0] = g.Input
	for _, i := range order {
		s, err := g.layerShape(i, shapes)
		if err != nil {
			return nil, err
		}
		shapes[i+1] = s
	}
	return shapes, nil
}

// layerShape computes the output shape of layer i from the shapes of its
// inputs.
func (g *Graph) layerShape(i int, shapes []Shape) (Shape, error) {
	l := &g.Layers[i]
	wantIn := 1
	if l.Kind == Add || l.Kind == Concat {
		wantIn = 2
	}
	if len(l.Inputs) != wantIn {
		return Shape{}, layerErr(i, l.Kind, "has %d inputs, want %d", len(l.Inputs), wantIn)
	}
	in := shapes[l.Inputs[0]]
	switch l.Kind {
	case Conv2D:
		if !in.Spatial() {
			return Shape{}, layerErr(i, l.Kind, "input %d has flat shape %v, want spatial", l.Inputs[0], in)
		}
		if l.Units <= 0 || l.Kernel <= 0 || l.Kernel%2 == 0 || l.Stride < 0 {
			return Shape{}, layerErr(i, l.Kind, "bad settings: units %d, kernel %d (odd), stride %d", l.Units, l.Kernel, l.Stride)
		}
		s := l.stride()
		return Shape{H: ceilDiv(in.H, s), W: ceilDiv(in.W, s), C: l.Units}, nil
	case Dense:
		if in.Spatial() {
			return Shape{}, layerErr(i, l.Kind, "input %d has spatial shape %v, want flat", l.Inputs[0], in)
		}
		if l.Units <= 0 {
			return Shape{}, layerErr(i, l.Kind, "bad units %d", l.Units)
		}
		return Shape{C: l.Units}, nil
	case BatchNorm, ReLU:
		return in, nil
	case Dropout:
		if l.Rate < 0 || l.Rate >= 1 {
			return Shape{}, layerErr(i, l.Kind, "rate %v outside [0, 1)", l.Rate)
		}
		return in, nil
	case MaxPool:
		if !in.Spatial() {
			return Shape{}, layerErr(i, l.Kind, "input %d has flat shape %v, want spatial", l.Inputs[0], in)
		}
		s := l.stride()
		if l.Kernel <= 0 || s <= 0 {
			return Shape{}, layerErr(i, l.Kind, "bad settings: kernel %d, stride %d", l.Kernel, l.Stride)
		}
		if in.H < l.Kernel || in.W < l.Kernel {
			return Shape{}, layerErr(i, l.Kind, "window %d larger than input %v", l.Kernel, in)
		}
		return Shape{H: (in.H-l.Kernel)/s + 1, W: (in.W-l.Kernel)/s + 1, C: in.C}, nil
	case GlobalAvgPool, Flatten:
		if !in.Spatial() {
			return Shape{}, layerErr(i, l.Kind, "input %d has flat shape %v, want spatial", l.Inputs[0], in)
		}
		if l.Kind == Flatten {
			return Shape{C: in.Size()}, nil
		}
		return Shape{C: in.C}, nil
	case Add:
		b := shapes[l.Inputs[1]]
		if in != b {
			return Shape{}, layerErr(i, l.Kind, "inputs %d and %d have shapes %v and %v, want equal",
				l.Inputs[0], l.Inputs[1], in, b)
		}
		return in, nil
	case Concat:
		b := shapes[l.Inputs[1]]
		if in.H != b.H || in.W != b.W {
			return Shape{}, layerErr(i, l.Kind, "inputs %d and %d have shapes %v and %v, want the same spatial size",
				l.Inputs[0], l.Inputs[1], in, b)
		}
		return Shape{H: in.H, W: in.W, C: in.C + b.C}, nil
	case Softmax:
		if in.Spatial() || in.C != g.Classes {
			return Shape{}, layerErr(i, l.Kind, "input %d has shape %v, want [%d] (the classes)", l.Inputs[0], in, g.Classes)
		}
		return in, nil
	}
	return Shape{}, layerErr(i, l.Kind, "unknown layer kind")
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
