package graph

import "container/heap"

// TopoOrder returns the layer indices in a topological order: every layer
// comes after the layers producing its inputs. Among ready layers the lowest
// index goes first, so the order is deterministic. A reference to a missing
// node or a cycle is a *LayerError.
func (g *Graph) TopoOrder() ([]int, error) {
	n := len(g.Layers)
	pending := make([]int, n)
	users := make([][]int, n+1)
	for i, l := range g.Layers {
		for _, u := range l.Inputs {
			if u < 0 || u > n {
				return nil, layerErr(i, l.Kind, "input node %d does not exist (graph has nodes 0 to %d)", u, n)
			}
			if u == i+1 {
				return nil, layerErr(i, l.Kind, "reads its own output: cycle")
			}
			users[u] = append(users[u], i)
			if u > 0 {
				pending[i]++
			}
		}
	}
	ready := &intHeap{}
	for i := range n {
		if pending[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order := make([]int, 0, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, j := range users[i+1] {
			pending[j]--
			if pending[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(order) < n {
		for i := range n {
			if pending[i] > 0 {
				return nil, layerErr(i, g.Layers[i].Kind, "lies on a cycle or depends on one")
			}
		}
	}
	return order, nil
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
