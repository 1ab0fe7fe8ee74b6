package morph

import "fmt"

// Kind names one of the four graph-level morphisms of section 3.3.
type Kind string

// The morphism kinds.
const (
	Deepen     Kind = "deepen"      // insert a layer after a node
	Widen      Kind = "widen"       // more filters or units at a node
	AddSkip    Kind = "add-skip"    // additive connection from a node to a later one
	ConcatSkip Kind = "concat-skip" // concatenative connection from a node to a later one
)

// Op is one morphism, a plain value that serialises to JSON and replays on
// a copy of the graph it was drawn for to give the identical graph.
//
// Deepen uses Node, and Kernel when Node is spatial (zero means 3) or
// Units when it is flat (zero means the node's width, the only one
// allowed); Widen uses Node and Units; the skips use Node and To. Fields
// an operation does not use must be zero.
type Op struct {
	Kind Kind `json:"op"`
	// Node is u: the node after which to deepen, the node to widen, or the
	// start of a skip connection.
	Node int `json:"node"`
	// To is v, the end of a skip connection.
	To int `json:"to,omitempty"`
	// Units is the new width of a widen, or the width of a dense layer
	// inserted by deepen (conv layers inserted by deepen keep the width).
	Units int `json:"units,omitempty"`
	// Kernel is the kernel size of a conv layer inserted by deepen.
	Kernel int `json:"kernel,omitempty"`
}

// String returns a short readable form of the operation, such as
// "widen(node 4, units 128)" or "add-skip(node 3, to 9)".
func (o Op) String() string {
	switch o.Kind {
	case Deepen:
		switch {
		case o.Kernel > 0:
			return fmt.Sprintf("deepen(node %d, kernel %d)", o.Node, o.Kernel)
		case o.Units > 0:
			return fmt.Sprintf("deepen(node %d, units %d)", o.Node, o.Units)
		}
		return fmt.Sprintf("deepen(node %d)", o.Node)
	case Widen:
		return fmt.Sprintf("widen(node %d, units %d)", o.Node, o.Units)
	case AddSkip, ConcatSkip:
		return fmt.Sprintf("%s(node %d, to %d)", o.Kind, o.Node, o.To)
	}
	return fmt.Sprintf("%q(node %d, to %d, units %d, kernel %d)", string(o.Kind), o.Node, o.To, o.Units, o.Kernel)
}
