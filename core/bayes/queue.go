package bayes

import (
	"container/heap"

	"github.com/morphnas/morphnas/core/graph"
	"github.com/morphnas/morphnas/core/morph"
)

// node is an architecture in the priority queue of Algorithm 1: an observed
// model (from nil, key its cost) or a generated candidate (key its
// acquisition value), whose graph is built only when needed.
type node struct {
	key    float64
	seq    int // insertion order, to break ties deterministically
	hash   string
	g      *graph.Graph // nil until built
	from   *node        // the node it was generated from, nil for observed
	op     morph.Op     // the operation from from to this node
	parent int          // id of the nearest observed ancestor
}

// queue is a min-heap of nodes by key, then insertion order.
type queue []*node

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].key != q[j].key {
		return q[i].key < q[j].key
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*node)) }
func (q *queue) Pop() any {
	old := *q
	n := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return n
}

func (q *queue) init()        { heap.Init(q) }
func (q *queue) push(n *node) { heap.Push(q, n) }
func (q *queue) pop() *node   { return heap.Pop(q).(*node) }
