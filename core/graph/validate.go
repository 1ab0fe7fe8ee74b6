package graph

import "fmt"

// Validate checks that g is a network of the search space: known layer
// kinds, inputs that exist, no cycle, shapes that fit at every layer, one
// softmax output over Classes that every node leads to, and weights (when
// present) of the sizes the shapes demand. The error names the layer.
func (g *Graph) Validate() error {
	if g.Classes < 2 {
		return fmt.Errorf("graph: %d classes, want at least 2", g.Classes)
	}
	if len(g.Layers) == 0 {
		return fmt.Errorf("graph: no layers")
	}
	for i, l := range g.Layers {
		if !knownKind(l.Kind) {
			return layerErr(i, l.Kind, "unknown layer kind")
		}
	}
	shapes, err := g.Shapes()
	if err != nil {
		return err
	}

	// One softmax, and it is the sink every node leads to.
	out := g.Output()
	for i, l := range g.Layers {
		if l.Kind == Softmax && i+1 != out {
			return layerErr(i, l.Kind, "second softmax layer; only the output may be a softmax")
		}
	}
	if out < 0 {
		return fmt.Errorf("graph: no softmax output layer")
	}
	cons := g.Consumers()
	if len(cons[out]) > 0 {
		return layerErr(out-1, Softmax, "output node %d is read by layer %d", out, cons[out][0])
	}
	reach := make([]bool, g.NumNodes())
	reach[out] = true
	order, _ := g.TopoOrder()
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if !reach[i+1] {
			continue
		}
		for _, u := range g.Layers[i].Inputs {
			reach[u] = true
		}
	}
	for v, ok := range reach {
		if !ok {
			if v == 0 {
				return fmt.Errorf("graph: the input node does not lead to the output")
			}
			return layerErr(v-1, g.Layers[v-1].Kind, "its output node %d does not lead to the output", v)
		}
	}

	// Weights, when present, must match the shapes.
	for i := range g.Layers {
		if err := g.checkParams(i, shapes); err != nil {
			return err
		}
	}
	return nil
}

// checkParams verifies the parameter sizes of layer i, when it has any.
func (g *Graph) checkParams(i int, shapes []Shape) error {
	l := &g.Layers[i]
	p := l.Params
	if p == nil {
		return nil
	}
	in := shapes[l.Inputs[0]]
	check := func(name string, got, want int) error {
		if got != want {
			return layerErr(i, l.Kind, "%s has %d values, want %d for input %v", name, got, want, in)
		}
		return nil
	}
	var errs []error
	switch l.Kind {
	case Conv2D:
		errs = append(errs, check("weights", len(p.W), l.Kernel*l.Kernel*in.C*l.Units), check("bias", len(p.B), l.Units))
	case Dense:
		errs = append(errs, check("weights", len(p.W), in.C*l.Units), check("bias", len(p.B), l.Units))
	case BatchNorm:
		errs = append(errs, check("gamma", len(p.Gamma), in.C), check("beta", len(p.Beta), in.C),
			check("mean", len(p.Mean), in.C), check("var", len(p.Var), in.C))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func knownKind(k Kind) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}
